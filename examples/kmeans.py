r"""k-means on the Normal manifold: clustering distributions by their Fisher-Rao distance.

Each data point is a univariate Normal N(mu, sigma). The script draws clusters of them around
a few centres (each point is ``exp_c(v)`` with a tangent vector ``v`` of Gaussian Fisher-Rao
length, ``spread`` on average per axis), then runs Lloyd's algorithm on the manifold:

* assignment: each point to the nearest centre in the Fisher-Rao distance
  (``M.numeric.distance``, closed form for the Normal);
* update: each centre becomes the Fréchet (Karcher) mean of its points
  (``M.numeric.frechet_mean``).

With exact means the within-cluster sum of squared distances never increases (each of the
two steps minimises it over one block of variables), which the script checks. The same
data clustered by the plain k-means in the coordinates (mu, sigma) is the baseline: there the
clusters at small sigma, close in coordinates but far apart in the Fisher-Rao distance
(distributions with little overlap), merge, and the wide cluster at large sigma is split.

Run::

    python examples/kmeans.py [--out DIR] [--small] [--k K] [--seed SEED]

Writes ``kmeans.png`` and ``kmeans.json`` into ``DIR`` (default ``./out``) and prints the
measured numbers: the agreement of each clustering with the true labels (the fraction of
points whose cluster's majority label is their own, "purity"), the objective per iteration.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # 2 x 2 matrices: threads only add contention

import argparse  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

from manifolds import Normal  # noqa: E402

#: True centres (mu, sigma): two narrow distributions close in coordinates, two wide ones
CENTRES = np.array([[0.0, 0.05], [0.12, 0.05], [0.0, 3.0], [4.0, 2.0]])


def sample(K, centres, per_cluster, spread, rng):
    """``per_cluster`` points ``exp_c(v)`` around each centre, ``v`` Gaussian with covariance
    ``spread² g(c)⁻¹`` (so each axis has Fisher-Rao length ``spread`` on average).
    Returns ``(points, labels)``.
    """
    points, labels = [], []
    for label, c in enumerate(centres):
        chol = np.linalg.cholesky(K.inverse_metric(c))
        v = spread * rng.standard_normal((per_cluster, K.dim)) @ chol.T
        points.append(K.exp(np.broadcast_to(c, v.shape), v))
        labels += [label] * per_cluster
    return np.concatenate(points), np.array(labels)


def plus_plus(distance, points, k, rng):
    """k-means++ seeding (Arthur and Vassilvitskii 2007) with the given distance."""
    chosen = [int(rng.integers(len(points)))]
    for _ in range(k - 1):
        d2 = np.min(distance(points[:, None, :], points[chosen][None, :, :]) ** 2, axis=1)
        chosen.append(int(rng.choice(len(points), p=d2 / d2.sum())))
    return points[chosen].copy()


def lloyd(distance, mean, points, centres, max_iterations=30):
    """Lloyd's iteration: ``(labels, centres, objectives)``, the objective being the sum of
    squared distances to the assigned centres after each assignment.
    """
    objectives = []
    labels = None
    for _ in range(max_iterations):
        d = distance(points[:, None, :], centres[None, :, :])
        new = np.argmin(d, axis=1)
        objectives.append(float(np.sum(d[np.arange(len(points)), new] ** 2)))
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        for j in range(len(centres)):
            if np.any(labels == j):   # an empty cluster keeps its centre
                centres[j] = mean(points[labels == j])
    return labels, centres, objectives


def purity(labels, truth):
    """Fraction of points whose cluster's majority true label is their own."""
    total = 0
    for j in np.unique(labels):
        total += np.bincount(truth[labels == j]).max()
    return total / len(truth)


def measure(k=4, per_cluster=40, spread=0.25, seed=0):
    """Cluster sampled Normals by Fisher-Rao and by Euclidean k-means; all numbers, as a dict."""
    K = Normal().numeric
    rng = np.random.default_rng(seed)
    points, truth = sample(K, CENTRES[:k], per_cluster, spread, rng)

    def fisher_rao(x, y):
        return K.distance(*np.broadcast_arrays(x, y))

    def euclidean(x, y):
        return np.linalg.norm(x - y, axis=-1)

    def frechet(P):
        r = K.frechet_mean(P)
        if not r.ok:
            raise RuntimeError(r.message)
        return r.x

    seed_rng = np.random.default_rng(seed + 1)
    fr_labels, fr_centres, fr_objective = lloyd(fisher_rao, frechet, points,
                                                plus_plus(fisher_rao, points, k, seed_rng))
    seed_rng = np.random.default_rng(seed + 1)
    eu_labels, eu_centres, eu_objective = lloyd(euclidean, lambda P: P.mean(axis=0), points,
                                                plus_plus(euclidean, points, k, seed_rng))
    return {
        "points": points, "truth": truth,
        "fisher_rao": {"labels": fr_labels, "centres": fr_centres, "objective": fr_objective,
                       "purity": purity(fr_labels, truth)},
        "euclidean": {"labels": eu_labels, "centres": eu_centres, "objective": eu_objective,
                      "purity": purity(eu_labels, truth)},
    }


def plot(results, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    points = results["points"]
    for ax, key, title in ((axes[0], "fisher_rao", "Fisher-Rao k-means (Fréchet means)"),
                           (axes[1], "euclidean", "Euclidean k-means in (mu, sigma)")):
        r = results[key]
        ax.scatter(points[:, 0], points[:, 1], c=r["labels"], cmap="tab10", s=12)
        ax.plot(r["centres"][:, 0], r["centres"][:, 1], "k*", ms=14)
        ax.set(xlabel="mu", yscale="log", title=f"{title}\npurity {r['purity']:.2f}")
    axes[0].set_ylabel("sigma (log scale)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "kmeans.png"), dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out", help="output folder (default ./out)")
    parser.add_argument("--small", action="store_true", help="small and fast (CI)")
    parser.add_argument("--k", type=int, default=4, choices=range(2, len(CENTRES) + 1),
                        help=f"number of clusters (2 to {len(CENTRES)}, default 4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    results = measure(args.k, 12 if args.small else 60, seed=args.seed)
    plot(results, args.out)
    summary = {key: {"purity": results[key]["purity"], "objective": results[key]["objective"],
                     "centres": results[key]["centres"].tolist()}
               for key in ("fisher_rao", "euclidean")}
    summary["true_centres"] = CENTRES[:args.k].tolist()
    with open(os.path.join(args.out, "kmeans.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    for key, name in (("fisher_rao", "Fisher-Rao k-means"), ("euclidean", "Euclidean k-means")):
        s = summary[key]
        print(f"{name:20s} purity {s['purity']:.3f}, {len(s['objective'])} assignments, "
              f"sum of squared distances {' -> '.join(f'{v:.4g}' for v in s['objective'])}")
    return results


if __name__ == "__main__":
    main()
