r"""Gradient descent versus natural gradient descent on quadratics of growing condition number.

For :math:`L(x) = \tfrac12 (x - x^*)^T A (x - x^*)` with eigenvalues of ``A`` log-spaced in
``[1, kappa]``, counts the iterations each method needs to shrink the loss gap by ``tol``:
gradient descent with the optimal fixed step ``2 / (lambda_min + lambda_max)``, and natural
gradient descent preconditioned by the exact metric (the Fisher ``A`` of the Gaussian model
whose negative log-likelihood is ``L``). GD grows like kappa, NGD stays flat (eq. 11-13 of
Ray & Kumar; their eq. 13 rate is replaced by the derived ``(1 - eta)^2`` per step, see
:mod:`numeric.optim.landscape`).

Run::

    python examples/conditioning.py [--out DIR] [--small]

Writes ``conditioning.png`` and ``conditioning_table.csv`` into ``DIR`` (default ``./out``)
and prints the table.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # 8 x 8 matrices: threads only add contention

import argparse  # noqa: E402
import json  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from numeric.optim.landscape import ConditioningTable, conditioning_table  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out", help="output folder (default ./out)")
    parser.add_argument("--small", action="store_true", help="small and fast (CI)")
    parser.add_argument("--tol", type=float, default=1e-8, help="relative loss-gap target")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    kappas = np.logspace(0, 3, 7) if args.small else np.logspace(0, 4, 13)
    table = conditioning_table(kappas, dim=8, tol=args.tol, ngd_step=0.5)
    newton = conditioning_table(kappas, dim=8, tol=args.tol, ngd_step=1.0)

    csv = os.path.join(args.out, "conditioning_table.csv")
    with open(csv, "w") as fh:
        fh.write(",".join(ConditioningTable.COLUMNS) + "\n")
        for row in table.rows():
            fh.write(",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in row) + "\n")

    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.loglog(table.kappa, table.gd_iterations, "o", color="tab:blue", label="GD, measured")
    ax.loglog(table.kappa, table.gd_bound, "-", color="tab:blue", lw=1,
              label="GD bound  ln ε / (2 ln((κ−1)/(κ+1)))")
    ax.loglog(table.kappa, table.gd_eq12, "--", color="tab:blue", lw=1, label="GD count implied by eq. 12")
    ax.loglog(table.kappa, table.ngd_iterations, "s", color="tab:green", label="NGD (η = 0.5), measured")
    ax.loglog(table.kappa, table.ngd_predicted, "-", color="tab:green", lw=1, label="NGD  ln ε / (2 ln(1−η))")
    ax.loglog(newton.kappa, newton.ngd_iterations, "^", color="tab:olive", label="NGD (η = 1)")
    ax.set(xlabel="condition number κ", ylabel=f"iterations to relative loss gap {args.tol:g}",
           title=f"GD slope {table.gd_slope():.2f} in log-log; NGD flat")
    ax.legend(fontsize=8)
    fig.tight_layout()
    png = os.path.join(args.out, "conditioning.png")
    fig.savefig(png, dpi=90 if args.small else 120)
    plt.close(fig)

    print(table)
    summary = {
        "figures": [png],
        "table": csv,
        "gd_slope": table.gd_slope(),
        "kappa": table.kappa.tolist(),
        "gd_iterations": table.gd_iterations.tolist(),
        "ngd_iterations": table.ngd_iterations.tolist(),
        "ngd_step1_iterations": newton.ngd_iterations.tolist(),
    }
    with open(os.path.join(args.out, "conditioning_summary.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    return summary


if __name__ == "__main__":
    main()
