"""Passes over the IR: activity analysis and reverse mode, forward mode, simplification."""
