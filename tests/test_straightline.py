"""Gradients of straight-line programs against central finite differences."""

import numpy as np
import pytest

from adjoint.testing import check_grads
from tests import programs as P

rng = np.random.default_rng(42)


def pos(*shape):
    return rng.uniform(0.5, 1.5, size=shape)


def test_scalar_polynomial_both_arguments():
    check_grads(P.scalar_poly, (1.5, 2.0), wrt=(0, 1))


def test_reassigning_a_name_keeps_every_version():
    check_grads(P.reassign, (0.7,))


def test_augmented_assignment():
    check_grads(P.augmented, (1.3, 0.4), wrt=("a", "b"))
    check_grads(P.augmented, (pos(3), pos(3)), wrt=("a", "b"))


def test_tuple_packing_and_unpacking():
    check_grads(P.unpack, (0.3, 1.7), wrt=(0, 1))


def test_powers_with_constant_and_variable_exponents():
    check_grads(P.power, (1.3,))
    check_grads(P.power, (pos(4),))


def test_negation_and_division():
    check_grads(P.neg_div, (1.3, -0.7), wrt=(0, 1))


def test_vector_network():
    check_grads(P.vec_ops, (pos(3), rng.normal(size=(4, 3)), rng.normal(size=4)), wrt=(0, 1, 2))


@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (4,), ()), ((3, 1), (1, 4), (4,)), ((2, 3, 4), (3, 1), (1,)), ((5,), (), (5,))],
)
def test_broadcast_gradients_are_summed_back_to_each_shape(shapes):
    args = [rng.normal(size=s) if s else 0.7 for s in shapes]
    check_grads(P.broadcasting, args, wrt=(0, 1, 2))


def test_reading_elements_and_slices():
    check_grads(P.indexing, (rng.normal(size=5),))


def test_two_dimensional_slices_and_newaxis():
    check_grads(P.slicing_2d, (rng.normal(size=(3, 4)),))


def test_transpose_and_shape_attributes():
    check_grads(P.transpose_attrs, (rng.normal(size=(3, 2)), rng.normal(size=(3, 4))),
                wrt=(0, 1))


def test_math_module_functions():
    check_grads(P.math_funcs, (0.8,))


def test_numpy_elementwise_functions():
    check_grads(P.numpy_funcs, (rng.uniform(0.1, 1.2, size=5),))


def test_maximum_minimum_where():
    x, y = rng.normal(size=6), rng.normal(size=6)
    check_grads(P.max_min, (x, y), wrt=(0, 1))


def test_reductions_with_axis_and_keepdims():
    check_grads(P.reductions, (rng.normal(size=(3, 4)),))


def test_dot_products_of_every_rank():
    check_grads(P.dot_products, (rng.normal(size=3), rng.normal(size=(3, 3)),
                                 rng.normal(size=(3, 2))), wrt=(0, 1, 2))


def test_reshape_and_transpose():
    check_grads(P.reshape_transpose, (rng.normal(size=(2, 3)),))


def test_concatenate_and_stack():
    check_grads(P.concat_stack, (rng.normal(size=3), rng.normal(size=3)), wrt=(0, 1))


def test_matmul_of_vectors_matrices_and_batches():
    check_grads(P.matmul_ranks, (rng.normal(size=3), rng.normal(size=(3, 3)),
                                 rng.normal(size=(2, 4, 3))), wrt=(0, 1, 2))


def test_softmax_cross_entropy():
    logits = rng.normal(size=(4, 5))
    y = np.eye(5)[[0, 2, 4, 1]]
    check_grads(P.softmax_xent, (logits, y))


def test_vector_output_through_vjp():
    def f(x, W):
        return np.tanh(W @ x) * x[0]

    check_grads(f, (rng.normal(size=3), rng.normal(size=(3, 3))), wrt=(0, 1))


def test_mlp_784_300_100_10_loss_against_finite_differences():
    from examples import mlp

    params, x, y = mlp.init(batch=8)
    check_grads(mlp.loss, (*params, x, y), wrt=(0, 1, 2, 3, 4, 5))
