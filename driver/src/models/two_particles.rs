//! The parameter axes shared by every model of two kicked particles in the infinite well
//! (`qk kicked`, `qk classical`, `qk transition`; PHYSICS.md §2, seed 002):
//!
//! H = p1²/2 + p2²/2m + ε exp(−λ(x1 − x2)²) + (K1 cos x1 + K2 cos x2) Σ_n δ(t − n),
//! 0 < x_i < π, in the dimensionless units of seed 002 (period 1, particle 1 of mass 1).
//!
//! One flag group (flattened into each model's arguments) and one set of axis
//! descriptions, so that the three subcommands take and record these parameters alike.

use crate::grid::{self, Axis, RealGrid};
use clap::Args;

/// Units of every axis here.
pub const DIMENSIONLESS: &str = "1 (dimensionless units of seed 002)";

/// Mass, interaction and kick strengths of the two particles (grids).
#[derive(Args, Debug, Clone)]
pub struct TwoParticleArgs {
    /// Mass m > 0 of particle 2; particle 1 has mass 1 (grid).
    #[arg(long = "mass", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::positive)]
    pub mass: RealGrid,
    /// Interaction strength ε of ε exp(−λ(x1−x2)²) (grid).
    #[arg(long = "eps", value_name = "GRID", allow_hyphen_values = true)]
    pub eps: RealGrid,
    /// Kick strength K1 on particle 1 (grid).
    #[arg(
        long = "k1",
        value_name = "GRID",
        default_value = "1.8",
        allow_hyphen_values = true
    )]
    pub k1: RealGrid,
    /// Kick strength K2 on particle 2 (grid).
    #[arg(
        long = "k2",
        value_name = "GRID",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub k2: RealGrid,
    /// Interaction range parameter λ ≥ 0 (grid).
    #[arg(long = "lambda", value_name = "GRID", default_value = "10", allow_hyphen_values = true, value_parser = grid::non_negative)]
    pub lambda: RealGrid,
}

impl TwoParticleArgs {
    /// The axes mass, eps, k1, k2, lambda, in this order.
    pub fn axes(&self) -> [Axis; 5] {
        let axis = |name: &str, values: &RealGrid, description: &str| {
            Axis::real(
                name,
                &format!("--{name}"),
                values,
                DIMENSIONLESS,
                description,
            )
        };
        [
            axis(
                "mass",
                &self.mass,
                "mass m of particle 2 (particle 1 has mass 1)",
            ),
            axis(
                "eps",
                &self.eps,
                "interaction strength ε of ε exp(−λ(x1−x2)²)",
            ),
            axis("k1", &self.k1, "kick strength K1 of K1 cos x1 Σδ(t−n)"),
            axis("k2", &self.k2, "kick strength K2 of K2 cos x2 Σδ(t−n)"),
            axis(
                "lambda",
                &self.lambda,
                "range parameter λ of exp(−λ(x1−x2)²)",
            ),
        ]
    }
}
