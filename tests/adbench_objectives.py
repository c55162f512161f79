"""The ADBench / GradBench objectives in plain NumPy, with small seeded data generators.

* GMM: ADBench's objective, the log-likelihood of the points under a Gaussian mixture
  plus its Wishart prior term on the inverse covariances. Each component's inverse
  Cholesky factor is packed in a row of ``icf``: ``d`` log-diagonal entries ``q``, then the
  ``d(d-1)/2`` strictly lower entries of ``L``, column by column. ``gmm_objective``
  vectorizes over points and components; ``gmm_objective_loops`` loops over both, as the
  reference C++ does.
* LSTM: a stacked LSTM with elementwise (diagonal) gate weights predicting the next
  character of a one-hot ``sequence``; the loss is the mean negative log-softmax.
* BA: bundle adjustment. A camera is ``[r (3), C (3), f, x0 (2), kappa (2)]``: a
  Rodrigues rotation, the center, the focal length, the principal point and two radial
  distortion coefficients. ``ba_residuals`` is the vector of weighted reprojection errors
  and weight errors ``1 - w**2``; ``ba_objective`` is half its sum of squares.
* Hand tracking (the simple variant): 26 pose parameters (global rotation and translation,
  then finger angles) pose a skinned hand of 22 bones; ``hand_residuals`` are the offsets
  from the posed vertices to the observed points they correspond to, ``hand_objective``
  half their sum of squares.

Sizes are small by default; the benchmark (bench/adbench.py) passes moderate ones.
"""

import math

import numpy as np

# -- GMM ------------------------------------------------------------------------------


def logsumexp(a):
    m = np.max(a)
    return m + np.log(np.sum(np.exp(a - m)))


def logsumexp_rows(a):
    m = np.max(a, axis=1, keepdims=True)
    return m[:, 0] + np.log(np.sum(np.exp(a - m), axis=1))


def log_gamma_distrib(a, p):
    out = 0.25 * p * (p - 1) * math.log(math.pi)
    for j in range(1, p + 1):
        out = out + math.lgamma(a + 0.5 * (1 - j))
    return out


def log_wishart_prior(p, wishart_gamma, wishart_m, sum_qs, Qdiags, icf):
    k = icf.shape[0]
    n = p + wishart_m + 1
    frobenius = np.sum(Qdiags ** 2, axis=1) + np.sum(icf[:, p:] ** 2, axis=1)
    out = np.sum(0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_qs)
    C = n * p * (math.log(wishart_gamma) - 0.5 * math.log(2)) - log_gamma_distrib(0.5 * n, p)
    return out - k * C


def lower_triangles(icf, d):
    """The strictly lower triangular ``L`` of every component, shape ``(k, d, d)``."""
    k = icf.shape[0]
    cols, rows = np.triu_indices(d, 1)  # (row, col) of the lower triangle, column by column
    Ls = np.zeros((k, d, d))
    Ls[:, rows, cols] = icf[:, d:]
    return Ls


def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    qs = icf[:, :d]
    Qdiags = np.exp(qs)
    sum_qs = np.sum(qs, axis=1)
    Ls = lower_triangles(icf, d)
    xcentered = x[:, None, :] - means[None, :, :]                      # (n, k, d)
    Qxcentered = Qdiags * xcentered + np.einsum("kij,nkj->nki", Ls, xcentered)
    main_term = alphas + sum_qs - 0.5 * np.sum(Qxcentered ** 2, axis=2)
    slse = np.sum(logsumexp_rows(main_term))
    CONSTANT = -n * d * 0.5 * math.log(2 * math.pi)
    return (CONSTANT + slse - n * logsumexp(alphas)
            + log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, Qdiags, icf))


def Qtimesx(Qdiag, ltri, x):
    """``(diag(Qdiag) + L) @ x`` with ``L`` packed column by column in ``ltri``."""
    d = x.shape[0]
    out = Qdiag * x
    idx = 0
    for i in range(d):
        for j in range(i + 1, d):
            out[j] += ltri[idx] * x[i]
            idx += 1
    return out


def gmm_objective_loops(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    k = alphas.shape[0]
    Qdiags = np.exp(icf[:, :d])
    sum_qs = np.sum(icf[:, :d], axis=1)
    slse = 0.0
    for i in range(n):
        main_term = np.zeros(k)
        for j in range(k):
            Qxcentered = Qtimesx(Qdiags[j], icf[j, d:], x[i] - means[j])
            main_term[j] = alphas[j] + sum_qs[j] - 0.5 * np.sum(Qxcentered ** 2)
        slse += logsumexp(main_term)
    CONSTANT = -n * d * 0.5 * math.log(2 * math.pi)
    return (CONSTANT + slse - n * logsumexp(alphas)
            + log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, Qdiags, icf))


def gmm_data(d=3, k=4, n=10, seed=0):
    """``(alphas, means, icf, x, wishart_gamma, wishart_m)`` as ADBench draws them."""
    rng = np.random.default_rng(seed)
    alphas = rng.normal(size=k)
    means = rng.uniform(size=(k, d))
    icf = rng.uniform(size=(k, d + d * (d - 1) // 2)) - 0.5
    x = rng.normal(size=(n, d))
    return alphas, means, icf, x, 1.0, 0


# -- LSTM -----------------------------------------------------------------------------


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_model(weight, bias, hidden, cell, inp):
    b = hidden.shape[0]
    forget = sigmoid(inp * weight[:b] + bias[:b])
    ingate = sigmoid(hidden * weight[b:2 * b] + bias[b:2 * b])
    outgate = sigmoid(inp * weight[2 * b:3 * b] + bias[2 * b:3 * b])
    change = np.tanh(hidden * weight[3 * b:] + bias[3 * b:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def lstm_predict(main_params, extra_params, state, x):
    """One step through every layer; returns the prediction and the new state."""
    layers = main_params.shape[0] // 2
    new_state = np.zeros_like(state)
    x = x * extra_params[0]
    for i in range(layers):
        # The pair is indexed, not unpacked: adjoint.jvp cannot unpack a call's tuple yet.
        out = lstm_model(main_params[2 * i], main_params[2 * i + 1],
                         state[2 * i], state[2 * i + 1], x)
        new_state[2 * i] = out[0]
        new_state[2 * i + 1] = out[1]
        x = out[0]
    return x * extra_params[1] + extra_params[2], new_state


def lstm_objective(main_params, extra_params, state, sequence):
    c, b = sequence.shape
    total = 0.0
    count = 0
    inp = sequence[0]
    for t in range(c - 1):
        out = lstm_predict(main_params, extra_params, state, inp)
        ypred = out[0]
        state = out[1]
        ynorm = ypred - logsumexp(ypred)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += b
        inp = ygold
    return -total / count


def lstm_data(layers=2, chars=5, b=4, seed=0):
    """``(main_params, extra_params, state, sequence)``; the sequence is one-hot."""
    rng = np.random.default_rng(seed)
    main_params = rng.uniform(-1.0, 1.0, size=(2 * layers, 4 * b))
    extra_params = rng.uniform(-1.0, 1.0, size=(3, b))
    state = rng.uniform(-1.0, 1.0, size=(2 * layers, b))
    sequence = np.eye(b)[rng.integers(0, b, size=chars)]
    return main_params, extra_params, state, sequence


# -- BA -------------------------------------------------------------------------------

def rodrigues_rotate_point(rot, X):
    sqtheta = np.sum(rot ** 2)
    if sqtheta != 0:
        theta = np.sqrt(sqtheta)
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        w = rot / theta
        return X * costheta + np.cross(w, X) * sintheta + w * (np.dot(w, X) * (1 - costheta))
    return X + np.cross(rot, X)


def radial_distort(rad_params, proj):
    rsq = np.sum(proj ** 2)
    L = 1.0 + rad_params[0] * rsq + rad_params[1] * rsq * rsq
    return proj * L


def project(cam, X):
    """``cam`` is ``[r (3), C (3), f, x0 (2), kappa (2)]``."""
    Xcam = rodrigues_rotate_point(cam[0:3], X - cam[3:6])
    distorted = radial_distort(cam[9:11], Xcam[:2] / Xcam[2])
    return distorted * cam[6] + cam[7:9]


def ba_residuals(cams, X, w, obs, feats):
    """The weighted reprojection errors (two per observation), then the weight errors."""
    p = obs.shape[0]
    reproj_err = np.zeros((p, 2))
    for i in range(p):
        cam = cams[obs[i, 0]]
        point = X[obs[i, 1]]
        reproj_err[i] = (project(cam, point) - feats[i]) * w[i]
    w_err = 1.0 - w ** 2
    return np.concatenate([reproj_err.ravel(), w_err])


def ba_objective(cams, X, w, obs, feats):
    r = ba_residuals(cams, X, w, obs, feats)
    return 0.5 * np.sum(r ** 2)


def ba_data(n=3, m=5, p=8, seed=0):
    """``(cams, X, w, obs, feats)``: points a few units in front of every camera."""
    rng = np.random.default_rng(seed)
    cams = np.empty((n, 11))
    cams[:, 0:3] = rng.normal(scale=0.2, size=(n, 3))
    cams[:, 3:6] = rng.normal(scale=0.1, size=(n, 3)) + [0.0, 0.0, -5.0]
    cams[:, 6] = rng.uniform(0.8, 1.2, size=n)
    cams[:, 7:9] = rng.normal(scale=0.05, size=(n, 2))
    cams[:, 9:11] = rng.normal(scale=0.05, size=(n, 2))
    X = rng.normal(size=(m, 3))
    w = rng.uniform(0.5, 1.5, size=p)
    obs = np.stack([np.arange(p) % n, rng.integers(0, m, size=p)], axis=1)
    feats = rng.normal(scale=0.3, size=(p, 2))
    return cams, X, w, obs, feats


# -- Hand tracking --------------------------------------------------------------------


def angle_axis_to_rotation_matrix(angle_axis):
    norm = np.sqrt(np.sum(angle_axis ** 2))
    if norm < 1e-4:
        return np.eye(3)
    w = angle_axis / norm
    x, y, z = w[0], w[1], w[2]
    s = np.sin(norm)
    c = np.cos(norm)
    # Flat, then reshaped: adjoint cannot yet reverse np.array of nested lists.
    return np.array([x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s,
                     x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s,
                     x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c]
                    ).reshape(3, 3)


def euler_angles_to_rotation_matrix(xzy):
    tx, ty, tz = xzy[0], xzy[2], xzy[1]
    # Entries are assigned: adjoint cannot yet list one value twice in np.array([...]).
    Rx = np.eye(3)
    Rx[1, 1] = np.cos(tx)
    Rx[1, 2] = -np.sin(tx)
    Rx[2, 1] = np.sin(tx)
    Rx[2, 2] = np.cos(tx)
    Ry = np.eye(3)
    Ry[0, 0] = np.cos(ty)
    Ry[0, 2] = np.sin(ty)
    Ry[2, 0] = -np.sin(ty)
    Ry[2, 2] = np.cos(ty)
    Rz = np.eye(3)
    Rz[0, 0] = np.cos(tz)
    Rz[0, 1] = -np.sin(tz)
    Rz[1, 0] = np.sin(tz)
    Rz[1, 1] = np.cos(tz)
    return Rz @ Ry @ Rx


def to_pose_params(theta, n_bones):
    """Rows: global rotation, scale, translation, then one (x, z, y) Euler triple per bone."""
    pose_params = np.zeros((n_bones + 3, 3))
    pose_params[0] = theta[0:3]
    pose_params[1] = 1.0
    pose_params[2] = theta[3:6]
    i_theta = 6
    i_pose = 5
    for _finger in range(5):
        for i in range(2, 5):
            pose_params[i_pose, 0] = theta[i_theta]
            i_theta += 1
            if i == 2:
                pose_params[i_pose, 1] = theta[i_theta]
                i_theta += 1
            i_pose += 1
        i_pose += 1
    return pose_params


def get_posed_relatives(pose_params, base_relatives):
    n_bones = base_relatives.shape[0]
    relatives = np.zeros_like(base_relatives)
    for i in range(n_bones):
        T = np.eye(4)
        T[:3, :3] = euler_angles_to_rotation_matrix(pose_params[i + 3])
        relatives[i] = base_relatives[i] @ T
    return relatives


def relatives_to_absolutes(relatives, parents):
    """Bone 0 is the root; every other bone comes after its parent."""
    absolutes = np.zeros_like(relatives)
    absolutes[0] = relatives[0]
    for i in range(1, len(parents)):
        absolutes[i] = absolutes[parents[i]] @ relatives[i]
    return absolutes


def get_skinned_vertex_positions(pose_params, model):
    relatives = get_posed_relatives(pose_params, model["base_relatives"])
    absolutes = relatives_to_absolutes(relatives, model["parents"])
    transforms = absolutes @ model["inverse_base_absolutes"]
    positions = np.zeros((3, model["base_positions"].shape[1]))
    for i in range(transforms.shape[0]):
        positions += (transforms[i] @ model["base_positions"])[:3] * model["weights"][i]
    if model["is_mirrored"]:
        positions = positions * np.array([[-1.0], [1.0], [1.0]])
    R = angle_axis_to_rotation_matrix(pose_params[0]) * pose_params[1]
    return R @ positions + pose_params[2][:, None]


def hand_residuals(theta, model, correspondences, points):
    """``points - vertex_positions[:, correspondences]``, flattened: ``3 * n_points`` values."""
    pose_params = to_pose_params(theta, len(model["parents"]))
    vertex_positions = get_skinned_vertex_positions(pose_params, model)
    return (points - np.take(vertex_positions, correspondences, axis=1)).ravel()


def hand_objective(theta, model, correspondences, points):
    r = hand_residuals(theta, model, correspondences, points)
    return 0.5 * np.sum(r ** 2)


def _rigid(rng, scale):
    """A random 4x4 rigid transform: a rotation near the identity and a translation."""
    T = np.eye(4)
    T[:3, :3] = angle_axis_to_rotation_matrix(rng.normal(scale=0.3, size=3))
    T[:3, 3] = rng.normal(scale=scale, size=3)
    return T


def hand_data(n_vertices=60, n_points=20, is_mirrored=False, seed=0):
    """``(theta, model, correspondences, points)`` for a synthetic hand of 22 bones.

    Bone 0 is the root and bone 1 the wrist; each finger is a chain of four bones off the
    wrist (the last one, the tip, is not posed). Vertices are skinned to a few bones with
    weights summing to one; the points are the posed model plus noise.
    """
    rng = np.random.default_rng(seed)
    parents = [-1, 0]
    for _finger in range(5):
        parents += [1, len(parents), len(parents) + 1, len(parents) + 2]
    parents = np.array(parents)
    n_bones = len(parents)
    base_relatives = np.stack([_rigid(rng, 1.0) for _ in range(n_bones)])
    base_absolutes = relatives_to_absolutes(base_relatives, parents)
    inverse_base_absolutes = np.linalg.inv(base_absolutes)
    base_positions = np.vstack([rng.normal(scale=2.0, size=(3, n_vertices)),
                                np.ones((1, n_vertices))])
    shape = (n_bones, n_vertices)
    weights = rng.uniform(size=shape) * (rng.uniform(size=shape) < 0.2)
    weights[rng.integers(0, n_bones, size=n_vertices), np.arange(n_vertices)] += 1.0
    weights /= weights.sum(axis=0)
    model = {"parents": parents, "base_relatives": base_relatives,
             "inverse_base_absolutes": inverse_base_absolutes, "base_positions": base_positions,
             "weights": weights, "is_mirrored": is_mirrored}
    theta = rng.normal(scale=0.3, size=26)
    correspondences = rng.integers(0, n_vertices, size=n_points)
    points = get_skinned_vertex_positions(to_pose_params(rng.normal(scale=0.3, size=26), n_bones),
                                          model)[:, correspondences]
    points = points + rng.normal(scale=0.1, size=points.shape)
    return theta, model, correspondences, points
