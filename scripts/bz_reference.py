#!/usr/bin/env python3
"""Independent high-precision reference values for the Brillouin-zone kernel (qk-bzquad).

None of these evaluations integrates over the Brillouin zone: every lattice average is
reduced analytically to a one-dimensional integral (or a two-dimensional one for the
cubic spin-wave sums) of special functions, evaluated with mpmath at 30 significant
digits.  Each integral is evaluated twice, with tanh-sinh and with Gauss-Legendre
quadrature, and the script refuses to print a value on which the two disagree beyond
1e-20 relative (1e-14 for the slower cubic spin-wave double integrals).

Notation: s(q)^2 = sum_a sin^2(q_a/2) = (d - sum_a cos q_a)/2, <.> = BZ average.

Heat kernel:  <exp(-t s^2)> = B(t)^d,   B(t) = exp(-t/2) I_0(t/2).

* I_d(0) = <1/s>: 1/s = pi^(-1/2) int_0^inf t^(-1/2) exp(-t s^2) dt, so
      I_d(0) = pi^(-1/2) int_0^inf t^(-1/2) B(t)^d dt.
* I_3(tau) = <coth(s/(2 tau))/s>: the Matsubara (partial-fraction) expansion
      coth(s/2tau)/s = 2 tau sum_{n in Z} 1/(s^2 + (2 pi n tau)^2)
  and 1/(s^2+a^2) = int_0^inf exp(-(s^2+a^2) t) dt give
      I_3(tau) = 2 tau int_0^inf theta(t) B(t)^3 dt,
      theta(t) = sum_n exp(-4 pi^2 n^2 tau^2 t)
               = (2 tau sqrt(pi t))^(-1) sum_k exp(-k^2/(4 tau^2 t))   (Poisson),
  the faster-converging of the two theta series being used at each t.
* Watson's integral W = <1/(3 - sum cos)> = (1/2) int_0^inf B(t)^3 dt, and the closed
  form 3 W = W_S = sqrt(6)/(32 pi^3) Gamma(1/24)Gamma(5/24)Gamma(7/24)Gamma(11/24)
  (Watson's W_S = <1/(1 - gamma)> = 1.5163860591519780...).
* Spin waves, gamma = (1/d) sum cos q_a:  1/sqrt(1-g^2) = (1/pi) int_0^pi dth/(1 - g cos th),
  and G_d(z) = <1/(1 - z gamma)> = int_0^inf exp(-t) I_0(t z/d)^d dt; for the square
  lattice G_2(z) = (2/pi) K(z) (complete elliptic integral, modulus z).  With
  <gamma^2/(1-z gamma)> = (G-1)/z^2:
      <1/sqrt(1-g^2)> = (2/pi) int_0^{pi/2} G(cos th) dth,
      <sqrt(1-g^2)>   = (2/pi) int_0^{pi/2} [G(c) - (G(c)-1)/c^2] dth,  c = cos th.

Usage: scripts/bz_reference.py [--quick] [--cubic]   (prints a table; the Rust tests quote it)
"""
import sys

import mpmath as mp

mp.mp.dps = 32

# Beyond T_CUT the heat-kernel factor is replaced by its asymptotic series
# exp(-x) I_0(x) = (2 pi x)^(-1/2) sum_k a_k x^(-k), a_k = ((2k-1)!!)^2 / (k! 8^k),
# integrated term by term in closed form (x = t/2 = 5000: the series is accurate to
# far below 1e-30 once truncated at 30 terms).
T_CUT = mp.mpf(10000)
PTS = [mp.mpf(x) for x in (0, 1, 10, 100, 1000)] + [T_CUT]


def B(t):
    return mp.exp(-t / 2) * mp.besseli(0, t / 2)


def tail(d, p, nterms=30):
    """int_T^inf t^p B(t)^d dt from the asymptotic series of B (requires p - d/2 < -1)."""
    a = [mp.mpf(1)]
    for k in range(1, nterms):
        a.append(a[-1] * (2 * k - 1) ** 2 / (8 * k))
    # B(t) = (pi t)^(-1/2) sum_k a_k (2/t)^k ; raise the series to the power d.
    c = [mp.mpf(1)] + [mp.mpf(0)] * (nterms - 1)
    for _ in range(d):
        c = [sum(c[i] * a[j - i] for i in range(j + 1)) for j in range(nterms)]
    total = mp.mpf(0)
    for j in range(nterms):
        e = p - mp.mpf(d) / 2 - j + 1  # exponent after integration (negative)
        total += c[j] * 2**j * T_CUT**e / (-e)
    return total * mp.pi ** (-mp.mpf(d) / 2)


def quad2(f, pts, tol_rel):
    """int f(t) dt over the points `pts` (finite), with the substitution t = x^2 (which
    removes the t^(-1/2) endpoint behaviour at t = 0), by two independent rules; the
    value is returned only if they agree."""
    g = lambda x: 2 * x * f(x * x)
    xs = [mp.sqrt(p) for p in pts]
    a = mp.quad(g, xs, method="tanh-sinh")
    b = mp.quad(g, xs, method="gauss-legendre")
    if abs(a - b) > tol_rel * abs(a):
        raise RuntimeError(f"quadrature rules disagree: {a} vs {b}")
    return a


def quad_plain(f, pts, tol_rel):
    """int f over [pts[0], pts[-1]] by tanh-sinh on two different subdivisions (the
    spin-wave integrands have logarithmic endpoint singularities, which Gauss-Legendre
    does not resolve); the value if they agree."""
    a = mp.quad(f, pts, method="tanh-sinh")
    lo, hi = pts[0], pts[-1]
    b = mp.quad(f, [lo + (hi - lo) * k / 3 for k in range(4)], method="tanh-sinh")
    if abs(a - b) > tol_rel * abs(a):
        raise RuntimeError(f"quadrature rules disagree: {a} vs {b}")
    return a


def i_d_zero(d):
    f = lambda t: B(t) ** d / mp.sqrt(t) if t > 0 else mp.inf
    body = quad2(f, PTS, mp.mpf("1e-20"))
    return (body + tail(d, -mp.mpf(1) / 2)) / mp.sqrt(mp.pi)


def theta(t, tau):
    x = 4 * mp.pi**2 * tau**2 * t
    if x >= 1:
        s, n = mp.mpf(1), 1
        while True:
            term = 2 * mp.exp(-x * n * n)
            s += term
            if term < mp.mpf(10) ** (-mp.mp.dps - 5):
                return s
            n += 1
    y = 1 / (4 * tau**2 * t)
    s, k = mp.mpf(1), 1
    while True:
        term = 2 * mp.exp(-y * k * k)
        s += term
        if term < mp.mpf(10) ** (-mp.mp.dps - 5):
            break
        k += 1
    return s / (2 * tau * mp.sqrt(mp.pi * t))


def i3_tau(tau):
    tau = mp.mpf(tau)
    f = lambda t: theta(t, tau) * B(t) ** 3
    tc = 1 / (4 * mp.pi**2 * tau**2)
    # theta(t) = 1 to within exp(-4 pi^2 tau^2 T_CUT) beyond T_CUT (tau >= 0.05 here).
    assert 4 * mp.pi**2 * tau**2 * T_CUT > 80
    pts = sorted(set([tc / 4, tc, 4 * tc] + PTS))
    return 2 * tau * (quad2(f, pts, mp.mpf("1e-20")) + tail(3, 0))


def watson():
    # The Gamma-function closed form is Watson's W_S = <1/(1 - gamma)> = 3 W.
    closed = (
        mp.sqrt(6)
        / (32 * mp.pi**3)
        * mp.gamma(mp.mpf(1) / 24)
        * mp.gamma(mp.mpf(5) / 24)
        * mp.gamma(mp.mpf(7) / 24)
        * mp.gamma(mp.mpf(11) / 24)
        / 3
    )
    integral = (quad2(lambda t: B(t) ** 3, PTS, mp.mpf("1e-20")) + tail(3, 0)) / 2
    if abs(closed - integral) > mp.mpf("1e-20"):
        raise RuntimeError(f"Watson closed form {closed} vs integral {integral}")
    return closed


def g_square_th(th):
    # (2/pi) K(k = cos th) = 1/AGM(1, k'), k' = sin th: accurate as th -> 0.
    return 1 / mp.agm(1, mp.sin(th))


def g_cubic(z):
    return mp.quad(lambda t: mp.exp(-t) * mp.besseli(0, t * z / 3) ** 3, [0, 10, 100, mp.inf])


def spin_sums(g, d, tol):
    """g(th) = G(cos th); d = dimension."""
    inv = g

    def root(th):
        # G - (G-1)/c^2 cancels as c -> 0: work at 3x precision; below |c| = 1e-25 use
        # the limit 1 - <gamma^2> = 1 - 1/(2d) (error O(c^2)).
        with mp.workdps(3 * mp.mp.dps):
            c = mp.cos(th)
            if abs(c) < mp.mpf("1e-25"):
                return 1 - mp.mpf(1) / (2 * d)
            gc = g(th)
            return gc - (gc - 1) / (c * c)

    pts = [0, mp.pi / 4, mp.pi / 2]
    a = quad_plain(inv, pts, tol) * 2 / mp.pi
    b = quad_plain(root, pts, tol) * 2 / mp.pi
    return a, b


def main():
    quick = "--quick" in sys.argv
    w = watson()
    print(f"W (Watson)                = {mp.nstr(w, 25)}")
    for d in (2, 3):
        print(f"I_{d}(0) = <1/s>           = {mp.nstr(i_d_zero(d), 25)}")
    taus = ["0.1", "0.25", "0.5", "1", "2", "3"] if not quick else ["0.5"]
    for tau in taus:
        print(f"I_3({tau:>4})               = {mp.nstr(i3_tau(tau), 25)}")
    a, b = spin_sums(g_square_th, 2, mp.mpf("1e-20"))
    print(f"square <1/sqrt(1-g^2)>    = {mp.nstr(a, 25)}   dS = {mp.nstr(a / 2 - mp.mpf(1) / 2, 25)}")
    print(f"square <sqrt(1-g^2)>      = {mp.nstr(b, 25)}")
    if "--cubic" in sys.argv:  # slow, and only to ~1e-14
        mp.mp.dps = 20
        a, b = spin_sums(lambda th: g_cubic(mp.cos(th)), 3, mp.mpf("1e-14"))
        print(f"cubic  <1/sqrt(1-g^2)>    = {mp.nstr(a, 16)}   dS = {mp.nstr(a / 2 - mp.mpf(1) / 2, 16)}")
        print(f"cubic  <sqrt(1-g^2)>      = {mp.nstr(b, 16)}")


if __name__ == "__main__":
    main()
