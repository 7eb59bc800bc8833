r"""Natural-gradient invariance on the Normal family, measured.

The loss is :math:`L = \mathrm{KL}(q\,\|\,p)` with :math:`q = N(m^*, s^*)`, a property of the
distribution :math:`p` only, written in three charts of the Normal: :math:`(\mu, \sigma)`, the
natural parameters :math:`(\theta_1, \theta_2) = (\mu/\sigma^2, -1/(2\sigma^2))` and
:math:`(\mu, \log\sigma)`. The script

* integrates the natural-gradient flow in each chart and maps it to :math:`(\mu, \sigma)`: the
  three curves agree to the integrator's tolerance, and agree with the closed form
  :math:`\eta(t) = \eta_q + (\eta(0) - \eta_q)e^{-t}` in the expectation parameters
  :math:`\eta = (\mu, \mu^2 + \sigma^2)` (there the natural gradient of
  :math:`B_{F^*}(\eta_q, \eta)` is :math:`\eta - \eta_q`);
* integrates the plain gradient flow in :math:`(\mu, \sigma)` and :math:`(\mu, \log\sigma)`:
  different curves;
* takes one discrete natural-gradient step of size ``lr`` from the same distribution in each
  chart: the results differ by :math:`O(\mathrm{lr}^2)`, and the log-log slope is fitted.

Run::

    python examples/invariance.py [--out DIR] [--small]

Writes ``invariance_flows.png`` and ``invariance_steps.png`` into ``DIR`` (default ``./out``)
and prints the measured numbers.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # 2 x 2 matrices: threads only add contention

import argparse  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from manifolds import Normal  # noqa: E402
from manifolds.optim import natural_gradient_descent, natural_gradient_flow  # noqa: E402

TARGET = (0.5, 0.8)          # q = N(m*, s*)
START = (-1.0, 2.0)          # (mu0, sigma0)


def normal_charts():
    """Three charts of the Normal: ``[(label, manifold, to_mu_sigma, from_mu_sigma)]``.

    ``to_mu_sigma`` maps an array of points ``(..., 2)`` of the chart to ``(mu, sigma)``;
    ``from_mu_sigma`` maps one ``(mu, sigma)`` point into the chart.
    """
    M = Normal()
    mu, sigma = M.coordinates
    s = sp.Symbol("s", real=True)
    charts = [("(mu, sigma)", M, [mu, sigma]),
              ("natural (theta1, theta2)", M.in_chart("natural"), list(M.model.natural)),
              ("(mu, log sigma)", M.reparametrize({mu: mu, sigma: sp.exp(s)}, [mu, s],
                                                  new_in_old=[mu, sp.log(sigma)]), [mu, sp.log(sigma)])]
    out = []
    for label, C, new_in_old in charts:
        old_in_new = C.model.chart_of[1] if hasattr(C.model, "chart_of") else [mu, sigma]
        to_old = sp.lambdify(C.coordinates, list(old_in_new), "numpy")
        to_new = sp.lambdify([mu, sigma], new_in_old, "numpy")

        def to_mu_sigma(y, _f=to_old):
            y = np.asarray(y, dtype=float)
            return np.stack(np.broadcast_arrays(*_f(*np.moveaxis(y, -1, 0))), axis=-1)

        def from_mu_sigma(x, _f=to_new):
            return np.array([float(v) for v in _f(*x)])
        out.append((label, C, to_mu_sigma, from_mu_sigma))
    return out


def kl_loss(C):
    """KL(q || p) written in the coordinates of chart ``C``."""
    M = Normal()
    mu, sigma = M.coordinates
    m, s = (sp.nsimplify(v) for v in TARGET)
    kl = sp.log(sigma / s) + (s**2 + (mu - m) ** 2) / (2 * sigma**2) - sp.Rational(1, 2)
    if C.coordinates == M.coordinates:
        return kl
    return kl.xreplace(dict(zip((mu, sigma), C.model.chart_of[1], strict=True)))


def closed_form_flow(t):
    """The natural-gradient flow in (mu, sigma), from the expectation parameters."""
    (m, s), (m0, s0) = TARGET, START
    decay = np.exp(-np.asarray(t, dtype=float))
    e1 = m + (m0 - m) * decay
    e2 = (m**2 + s**2) + (m0**2 + s0**2 - m**2 - s**2) * decay
    return np.stack([e1, np.sqrt(e2 - e1**2)], axis=-1)


def flows(t1=3.0, n_times=61, metric="fisher", charts=None):
    """Flows from START in each chart, mapped to (mu, sigma): ``{label: (t, xs)}``."""
    result = {}
    for label, C, to_ms, from_ms in charts or normal_charts():
        flow = natural_gradient_flow(C, kl_loss(C), from_ms(START), t1, t_eval=n_times, metric=metric,
                                     throw=True)
        result[label] = (flow.t, to_ms(flow.xs))
    return result


def one_step_discrepancy(lrs, charts=None):
    """Largest (mu, sigma) distance between one NG step of size ``lr`` taken in each chart
    and the step taken in (mu, sigma), for each ``lr``.
    """
    charts = charts or normal_charts()
    out = np.zeros(len(lrs))
    for k, lr in enumerate(lrs):
        ends = [to_ms(natural_gradient_descent(C, kl_loss(C), from_ms(START), lr, 1, throw=True).x)
                for _, C, to_ms, from_ms in charts]
        out[k] = max(np.max(np.abs(e - ends[0])) for e in ends[1:])
    return out


def fit_slope(lrs, gaps):
    """Least-squares slope of log(gap) against log(lr)."""
    return float(np.polyfit(np.log(lrs), np.log(gaps), 1)[0])


def measure(small=False):
    """All the numbers the figures show, as a dict."""
    charts = normal_charts()
    t1 = 3.0
    ng = flows(t1, 31 if small else 121, "fisher", charts)
    t = next(iter(ng.values()))[0]
    exact = closed_form_flow(t)
    flow_errors = {label: float(np.max(np.abs(xs - exact))) for label, (_, xs) in ng.items()}
    gd = flows(t1, len(t), "euclidean", [charts[0], charts[2]])
    (_, a), (_, b) = gd.values()
    lrs = np.logspace(-3, -1, 5 if small else 9)
    gaps = one_step_discrepancy(lrs, charts)
    return {
        "t": t, "natural": ng, "exact": exact, "gradient": gd,
        "flow_error_vs_closed_form": flow_errors,
        "gradient_flow_chart_difference": float(np.max(np.abs(a - b))),
        "lrs": lrs, "one_step_gaps": gaps, "slope": fit_slope(lrs, gaps),
    }


def plot(results, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    styles = ["-", "--", ":"]
    for (label, (_, xs)), ls in zip(results["natural"].items(), styles, strict=True):
        ax.plot(xs[:, 0], xs[:, 1], ls, lw=2, label=f"natural gradient, {label}")
    for (label, (_, xs)), c in zip(results["gradient"].items(), ["tab:red", "tab:purple"], strict=True):
        ax.plot(xs[:, 0], xs[:, 1], "-", color=c, lw=1, label=f"plain gradient, {label}")
    ax.plot(*START, "ko")
    ax.plot(*TARGET, "k*", ms=12, label="target q")
    ax.set(xlabel="mu", ylabel="sigma", title="Flows of KL(q || p), drawn in (mu, sigma)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "invariance_flows.png"), dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    lrs, gaps = results["lrs"], results["one_step_gaps"]
    ax.loglog(lrs, gaps, "o", label="one NG step, largest gap between charts")
    ax.loglog(lrs, gaps[-1] * (lrs / lrs[-1]) ** 2, "-", lw=1, label="slope 2")
    ax.set(xlabel="lr", ylabel="gap in (mu, sigma)",
           title=f"Discrete steps differ by O(lr^2): fitted slope {results['slope']:.3f}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "invariance_steps.png"), dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out", help="output folder (default ./out)")
    parser.add_argument("--small", action="store_true", help="small and fast (CI)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    results = measure(args.small)
    plot(results, args.out)
    summary = {
        "flow_error_vs_closed_form": results["flow_error_vs_closed_form"],
        "gradient_flow_chart_difference": results["gradient_flow_chart_difference"],
        "one_step_slope": results["slope"],
        "lrs": results["lrs"].tolist(), "one_step_gaps": results["one_step_gaps"].tolist(),
    }
    with open(os.path.join(args.out, "invariance.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    print("natural-gradient flow, max |(mu, sigma) - closed form| over t in [0, 3]:")
    for label, err in summary["flow_error_vs_closed_form"].items():
        print(f"  {label:26s} {err:.2e}")
    print(f"plain gradient flow, (mu, sigma) vs (mu, log sigma): max gap {summary['gradient_flow_chart_difference']:.3f}")
    print(f"one discrete NG step: gap between charts ~ lr^{summary['one_step_slope']:.3f}")
    return results


def tour_natural_gradient():
    """Print a short demonstration: natural versus plain gradient descent in two charts."""
    charts = normal_charts()
    picked = [charts[0], charts[2]]
    print(f"Minimise KL(N{TARGET} || N(mu, sigma)) from (mu, sigma) = {START}, 20 steps of lr 0.1:")
    for metric, name in (("fisher", "natural gradient"), ("euclidean", "plain gradient")):
        for label, C, to_ms, from_ms in picked:
            path = natural_gradient_descent(C, kl_loss(C), from_ms(START), 0.1, 20, metric=metric)
            mu, sigma = to_ms(path.x)
            print(f"  {name:16s} in {label:16s} -> (mu, sigma) = ({mu:.4f}, {sigma:.4f}), "
                  f"loss {path.values[-1]:.4f}")
    print("Natural gradient: the two charts agree to O(lr^2) per step; plain gradient: they do not.")


if __name__ == "__main__":
    main()
