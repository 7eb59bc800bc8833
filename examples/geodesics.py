"""Fisher-Rao geodesics and distances across the catalog, with a figure.

Integrates a fan of geodesics on the Normal half-plane (mu, sigma) and on the Beta quadrant
(a, b), prints distances (closed form where the family has one, shooting otherwise) and
saves ``geodesics.png`` into ``outdir``.

Run: ``python examples/geodesics.py [--out DIR]`` (default ``out``, the convention of every
example).
"""
import argparse
import os

import numpy as np


def tour_geodesics(outdir, n_rays=8, verbose=True):
    """Integrate geodesics per family, print distances, save a figure; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from manifolds import Beta, Normal, Poisson

    def say(*args):
        if verbose:
            print(*args)

    os.makedirs(outdir, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    angles = np.linspace(0, 2 * np.pi, n_rays, endpoint=False)
    for ax, M, x0, title in ((axes[0], Normal(), [0.0, 1.0], "Normal (mu, sigma)"),
                             (axes[1], Beta(), [2.0, 2.0], "Beta (a, b)")):
        K = M.numeric
        g = K.metric(x0)
        # unit-speed initial directions: v = L^-T u with g = L L^T
        L = np.linalg.cholesky(g)
        v0 = np.linalg.solve(L.T, np.stack([np.cos(angles), np.sin(angles)]) * 1.5).T
        sol = K.geodesic(np.broadcast_to(x0, v0.shape), v0, 1.0, t_eval=60)
        for path, _status in zip(sol.x, sol.status, strict=True):
            ax.plot(path[:, 0], path[:, 1], lw=1)
        ax.plot(*x0, "ko")
        ax.set_title(f"{title}: geodesics of length 1.5")
        ax.set_xlabel(str(M.coordinates[0]))
        ax.set_ylabel(str(M.coordinates[1]))
        say(f"{M.name}: {int((sol.status == 0).sum())} of {len(sol.status)} geodesics reached t=1")
    path = os.path.join(outdir, "geodesics.png")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)

    pairs = [(Normal(), [0.0, 1.0], [2.0, 0.5]), (Poisson(), [1.0], [4.0]),
             (Beta(), [1.0, 10.0], [10.0, 1.0])]
    for M, x, y in pairs:
        K = M.numeric
        d = float(K.distance(x, y))
        how = "closed form" if K.closed_form_distance is not None else "shooting"
        say(f"{M.name}: d({x}, {y}) = {d:.12f} ({how})")
    say(f"figure: {path}")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out", help="output folder (default ./out)")
    parser.add_argument("--rays", type=int, default=8, help="geodesics per family in the figure")
    args = parser.parse_args(argv)
    tour_geodesics(args.out, n_rays=args.rays)


if __name__ == "__main__":
    main()
