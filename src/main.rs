//! `qk`: one binary, one subcommand per model. See README.md.
fn main() -> std::process::ExitCode {
    qk_driver::main()
}
