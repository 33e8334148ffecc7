"""Game-level verdicts of ``verify``: existence, uniqueness, continuum, escape.

Several starts converging to one class is evidence, not a certificate. ``uniqueness`` is
certified only by a global argument that applies to the game, with at least one certified
equilibrium found:

* the **global Rosen certificate** (:func:`.rosen.global_certificate`): finite pairs whose every
  coordinate is penalised with rho > rho*: J + J^T < 0 everywhere, so the equilibrium is unique;
* the **anchored-tabular theorem** (proofs/tabular.md): categorical families whose lifts make
  every conditional reachable (scaled one-hot tables), every coordinate free, alpha in (0, 1],
  rho = 0, data, prior and labelled joint positive everywhere: at most one equilibrium (any
  marginals: a contraction argument, see proofs/tabular.md);
* the **one-direction linear-Gaussian closed form** (proofs/linear_gaussian.md): d = k = 1, data
  N(0, lam), prior N(0, 1), alpha = rho = 0: the equilibria are the collapsed point and, past a
  threshold, one nontrivial class (+-w); with both variances learned, a continuum. This decides
  uniqueness and the continuum (certified or refuted) for every such game.

It is refuted by a certified counterexample: no finite equilibrium (a recession direction), a
certified continuum through a class, or two classes certified distinct up to symmetry (different
certified stability, or invariant enclosures that are disjoint, :mod:`expfam_nash.certify.invariants`).
Otherwise it is undecided, with what was found.
"""
from __future__ import annotations

import numpy as np

from ..certify.adapters import Unsupported, finite_arrays, gaussian_arrays
from ..certify.invariants import certified_distinct
from ..core.verdict import Verdict
from ..game import Game
from .rosen import RosenCertificate


def _scaled_one_hot(table: np.ndarray) -> bool:
    """Each row has exactly one nonzero entry, in distinct columns: theta -> (theta psi(u))_u is
    onto, so every conditional is reachable (a tabular player)."""
    nz = table != 0
    cols = np.argmax(nz, axis=1)
    return bool(np.all(nz.sum(axis=1) == 1) and np.unique(cols).size == table.shape[0])


def anchored_tabular(game: Game) -> str | None:
    """None when the anchored-tabular theorem applies to ``game``, else the condition that fails."""
    try:
        fa = finite_arrays(game)
    except Unsupported as exc:
        return f"not a finite pair ({exc})"
    if not (fa.fam_p == fa.fam_q == "categorical" and _scaled_one_hot(fa.psi_Z) and _scaled_one_hot(fa.chi_X)):
        return "not a tabular pair (categorical families with one-hot lifts)"
    if not (fa.mask_p.all() and fa.mask_q.all()):
        return "some parameters are held fixed"
    if not 0 < fa.alpha <= 1 or fa.rho != 0:
        return "the theorem needs 0 < alpha <= 1 and rho = 0"
    nx, nz = fa.T_X.shape[0], fa.S_Z.shape[0]
    px, pz = np.zeros(nx), np.zeros(nz)
    np.add.at(px, fa.data_index, fa.pi_D)
    np.add.at(pz, fa.prior_index, fa.pi_P)
    if not (np.all(px > 0) and np.all(pz > 0)):
        return "the data or the prior does not have full support"
    if fa.lab is None or not np.all(fa.lab > 0):
        return "the labelled joint has zero entries"
    return None


def linear_gaussian_closed_form(game: Game) -> dict | None:
    """The equilibrium structure of the one-direction linear-Gaussian pair from its closed form
    (proofs/linear_gaussian.md), or None when the game is not one: {"classes": number of classes
    up to the sign symmetry, "continuum": bool, "condition": the closed form's condition}."""
    try:
        ga = gaussian_arrays(game)
    except Unsupported:
        return None
    if not (ga.d == ga.k == 1 and ga.alpha == 0 and ga.rho == 0 and ga.data_mean is not None and ga.data_mean[0] == 0 and ga.prior_mean[0] == 0
            and ga.prior_cov[0, 0] == 1 and ga.data_cov[0, 0] > 0):
        return None
    lam, s, t = float(ga.data_cov[0, 0]), ga.dec_var, ga.enc_var
    if s is not None and t is not None:
        return {"classes": 2 if lam > s * t else 1, "continuum": False, "condition": f"lam = {lam:g} vs s t = {s * t:g}"}
    if s is None and t is not None:
        return {"classes": 2 if t < 1 else 1, "continuum": False, "condition": f"decoder variance learned, t = {t:g}"}
    if t is None and s is not None:
        return {"classes": 2 if lam > s else 1, "continuum": False, "condition": f"encoder variance learned, lam = "
                                                                               f"{lam:g} vs s = {s:g}"}
    return {"classes": None, "continuum": True, "condition": "both variances learned: w^2 + s = lam, t = s / lam"}


CLOSED_FORM = "the one-direction linear-Gaussian closed form (proofs/linear_gaussian.md)"


def global_argument(game: Game, rosen: RosenCertificate) -> str | None:
    """The global uniqueness argument that applies to ``game`` (a sentence), or None."""
    if rosen.holds:
        return (f"the global Rosen certificate (rho = {game.rho:g} > rho* = {rosen.rho_star:.4g}: J + J^T < 0 "
                "everywhere)")
    if anchored_tabular(game) is None:
        return ("the anchored-tabular theorem (alpha > 0, rho = 0, positive data, prior and labelled joint; "
                "proofs/tabular.md)")
    form = linear_gaussian_closed_form(game)
    if form is not None and form["classes"] == 1:
        return f"{CLOSED_FORM}: only the collapsed point ({form['condition']})"
    return None


def _distinct_pair(classes) -> tuple[int, int, str] | None:
    """Two classes certified distinct up to symmetry, or None."""
    for i in range(len(classes)):
        for j in range(i + 1, len(classes)):
            a, b = classes[i].representative, classes[j].representative
            sa, sb = a.verdicts["stability"].status.value, b.verdicts["stability"].status.value
            if {sa, sb} == {"certified", "refuted"}:
                return i, j, "one is certified stable, the other certified unstable"
            ok, why = certified_distinct(classes[i].enclosed_invariants, classes[j].enclosed_invariants)
            if ok:
                return i, j, f"their invariants are certified different ({why})"
    return None


def uniqueness(game: Game, classes, nonexistence: str, rosen: RosenCertificate, undecided: int) -> Verdict:
    """The ``unique`` verdict of verify (see the module docstring)."""
    if nonexistence:
        return Verdict.refuted(f"no finite equilibrium exists: {nonexistence}")
    for i, c in enumerate(classes):
        if c.representative.verdicts["continuum"].holds:
            return Verdict.refuted(f"class {i} lies on a certified continuum of equilibria", class_index=i)
    form = linear_gaussian_closed_form(game)
    if form is not None and form["continuum"]:
        return Verdict.refuted(f"{CLOSED_FORM}: a continuum of equilibria ({form['condition']})")
    pair = _distinct_pair(classes)
    if pair is not None:
        i, j, why = pair
        return Verdict.refuted(f"classes {i} and {j} are two certified equilibria, distinct up to symmetry: {why}",
                               classes=[i, j])
    if form is not None and form["classes"] == 2:
        return Verdict.refuted(f"{CLOSED_FORM}: two equilibrium classes, the collapsed point and +-w "
                               f"({form['condition']})")
    if not classes:
        return Verdict.undecided("no equilibrium was certified from any start")
    argument = global_argument(game, rosen)
    if argument is not None:
        return Verdict.certified(f"unique: {argument}; class 0 is a certified equilibrium", argument=argument)
    found = (f"{len(classes)} class{'es' if len(classes) > 1 else ''} found (not certified distinct)"
             + (f", {undecided} run{'s' if undecided > 1 else ''} undecided" if undecided else ""))
    return Verdict.undecided(f"{found}: several starts reaching one class is evidence, not a certificate; a "
                             "global argument (Rosen: every coordinate penalised with rho > rho*; the "
                             "anchored-tabular theorem) would decide it")


def continuum(game: Game, classes, unique: Verdict) -> Verdict:
    """The ``continuum`` verdict of verify: certified by a class on a certified continuum (or the
    closed form), refuted when uniqueness is certified (or by the closed form), undecided otherwise."""
    for i, c in enumerate(classes):
        if c.representative.verdicts["continuum"].holds:
            return Verdict.certified(f"class {i}: {c.representative.verdicts['continuum'].reason}", class_index=i)
    form = linear_gaussian_closed_form(game)
    if form is not None:
        if form["continuum"]:
            return Verdict.certified(f"{CLOSED_FORM}: {form['condition']}")
        return Verdict.refuted(f"{CLOSED_FORM}: {form['classes']} isolated class(es) ({form['condition']})")
    if unique.holds:
        return Verdict.refuted("the equilibrium is unique (" + unique.evidence.get("argument", "") + ")")
    open_ = [i for i, c in enumerate(classes) if not c.representative.verdicts["continuum"].status.value == "refuted"]
    if open_:
        return Verdict.undecided(f"the local dimension of class(es) {open_} is not certified")
    if classes:
        return Verdict.undecided("every class found is certified isolated (up to symmetry); continua the starts "
                                 "did not reach are not excluded")
    return Verdict.undecided("no equilibrium was certified from any start")


def existence(game: Game, classes, nonexistence: str, undecided: int) -> Verdict:
    if classes:
        return Verdict.certified(f"{len(classes)} certified equilibrium class(es)", classes=len(classes))
    if linear_gaussian_closed_form(game) is not None:
        return Verdict.certified(f"{CLOSED_FORM}: the collapsed point is an equilibrium")
    if nonexistence:
        return Verdict.refuted(f"no finite equilibrium exists: {nonexistence}")
    return Verdict.undecided(f"no equilibrium certified from any start ({undecided} runs undecided)")


def escape(runs, nonexistence: str) -> Verdict:
    """Do some starts escape to infinity? ``runs``: (label, status) pairs."""
    diverged = [lab for lab, s in runs if s == "escaped"]
    if nonexistence or diverged:
        return Verdict.certified(f"{len(diverged)} of {len(runs)} runs certified to escape"
                                 + (f" ({nonexistence})" if nonexistence else ""), runs=len(diverged))
    if all(s == "converged" for _, s in runs):
        return Verdict.refuted("every run ended at a certified equilibrium")
    n = sum(1 for _, s in runs if s != "converged")
    return Verdict.undecided(f"{n} run(s) neither certified converged nor certified to escape")
