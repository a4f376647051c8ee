//! Gauss–Legendre rules on [0, 1] and composite (panelled) versions of them.
//!
//! Nodes are the roots of the Legendre polynomial P_n, found by Newton's method from
//! the asymptotic first guess cos(π(i − 1/4)/(n + 1/2)); weights are
//! 2/((1 − x²) P_n'(x)²) on [−1, 1], halved for [0, 1]. Accurate to a few ulp for the
//! orders used here (n ≤ 128).

/// A quadrature rule: nodes and weights on an interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Nodes, increasing.
    pub x: Vec<f64>,
    /// Weights (positive).
    pub w: Vec<f64>,
}

impl Rule {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether the rule has no nodes.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}

/// The n-point Gauss–Legendre rule on [0, 1] (n ≥ 1).
pub fn gauss_legendre(n: usize) -> Rule {
    let n = n.max(1);
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let nf = n as f64;
    for i in 0..n.div_ceil(2) {
        // Root i of P_n counted from the right end of [-1, 1].
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (p, d) = legendre(n, z);
            dp = d;
            let dz = p / d;
            z -= dz;
            if dz.abs() <= 1e-16 * z.abs().max(1e-300) {
                let (_, d) = legendre(n, z);
                dp = d;
                break;
            }
        }
        let wi = 2.0 / ((1.0 - z * z) * dp * dp);
        // Map to [0, 1]: t = (1 ± z)/2, weight halves.
        x[n - 1 - i] = 0.5 * (1.0 + z);
        x[i] = 0.5 * (1.0 - z);
        w[n - 1 - i] = 0.5 * wi;
        w[i] = 0.5 * wi;
    }
    Rule { x, w }
}

/// P_n(z) and P_n'(z) by the three-term recurrence.
fn legendre(n: usize, z: f64) -> (f64, f64) {
    let mut p0 = 1.0;
    let mut p1 = z;
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let kf = k as f64;
        let p2 = ((2.0 * kf - 1.0) * z * p1 - (kf - 1.0) * p0) / kf;
        p0 = p1;
        p1 = p2;
    }
    let d = n as f64 * (z * p1 - p0) / (z * z - 1.0);
    (p1, d)
}

/// The n-point rule on each panel `[edges[k], edges[k+1]]`, concatenated.
pub fn composite(edges: &[f64], n: usize) -> Rule {
    let base = gauss_legendre(n);
    let mut x = Vec::with_capacity(base.len() * edges.len().saturating_sub(1));
    let mut w = Vec::with_capacity(x.capacity());
    for pair in edges.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        for (xi, wi) in base.x.iter().zip(&base.w) {
            x.push(a + (b - a) * xi);
            w.push((b - a) * wi);
        }
    }
    Rule { x, w }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_polynomials_exactly() {
        for n in [1usize, 2, 3, 7, 20, 64] {
            let r = gauss_legendre(n);
            for p in 0..(2 * n) {
                let q: f64 =
                    r.x.iter()
                        .zip(&r.w)
                        .map(|(x, w)| w * x.powi(p as i32))
                        .sum();
                let exact = 1.0 / (p as f64 + 1.0);
                assert!((q - exact).abs() < 1e-14, "n={n} p={p}: {q} vs {exact}");
            }
        }
    }

    #[test]
    fn composite_rule_on_panels() {
        let r = composite(&[0.0, 0.1, 0.5, 2.0], 8);
        assert_eq!(r.len(), 24);
        let q: f64 = r.x.iter().zip(&r.w).map(|(x, w)| w * x.exp()).sum();
        assert!((q - (2f64.exp() - 1.0)).abs() < 1e-13);
    }
}
