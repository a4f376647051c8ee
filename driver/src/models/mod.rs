//! The models `qk` knows, one subcommand each: one line per model below registers the
//! module (`models/<module>.rs`), the subcommand (the variant's name in kebab case) and
//! its arguments type (a [`crate::model::ModelArgs`]). See the crate docs, "How to add
//! a model".

/// `module => Variant(ArgsType),` declares `pub mod module;` and the subcommand
/// `Variant(Run<module::ArgsType>)` of [`Command`].
macro_rules! register_models {
    ($($module:ident => $variant:ident($args:ident),)*) => {
        $(pub mod $module;)*

        // One subcommand per model (no doc comment: it would replace the help of `qk`).
        #[derive(clap::Subcommand, Debug)]
        pub enum Command {
            $($variant(crate::cli::Run<$module::$args>),)*
        }

        impl Command {
            /// Build the chosen model and run its sweep.
            pub fn execute(&self, command_line: String) -> std::process::ExitCode {
                match self {
                    $(Command::$variant(run) => run.execute(command_line),)*
                }
            }
        }
    };
}

/// The flag group and axes of the two-kicked-particle models.
pub mod two_particles;

/// `qk jumps --model FILE.h5` (the subcommand is `jumps`).
pub mod jumps_file;

register_models! {
    lmg => Lmg(LmgArgs),
    spectrum => Spectrum(SpectrumArgs),
    gap => Gap(GapArgs),
    lindemann => Lindemann(LindemannArgs),
    spinwave => Spinwave(SpinWaveArgs),
    kicked => Kicked(KickedArgs),
    noise => Noise(NoiseArgs),
    steady => Steady(SteadyArgs),
    probe => Probe(ProbeArgs),
    classical => Classical(ClassicalArgs),
    jumps => Jumps(JumpsArgs),
    transition => Transition(TransitionArgs),
}
