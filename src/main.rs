use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = benchreport::cli::Cli::parse();
    match benchreport::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
