//! Prints the stability-threshold table, I_d(0), and the spin-wave sums with their
//! evaluation counts: `cargo run --release --example bz_table -p qk-bzquad`.
use qk_bzquad::*;

fn main() -> Result<(), BzError> {
    for t in thresholds(1e-10)? {
        println!(
            "d={} {:?}: exact {:.10} debye {}",
            t.dim, t.regime, t.exact, t.debye
        );
    }
    for d in [2u32, 3] {
        let q = lindemann_mean(d, 0.0, 1e-10)?;
        println!(
            "I_{d}(0) = {:.16} err {:.1e} evals {}",
            q.value, q.error, q.evaluations
        );
    }
    for l in [Lattice::Square, Lattice::Cubic] {
        let s = spin_wave(l, 1e-10)?;
        println!(
            "{}: <1/sqrt> {:.15} ({} evals)  <sqrt> {:.15} ({} evals)  dS {:.12}  c {:.12}",
            l.name(),
            s.inverse_root.value,
            s.inverse_root.evaluations,
            s.root.value,
            s.root.evaluations,
            s.delta_s,
            s.zero_point_correction
        );
    }
    Ok(())
}
