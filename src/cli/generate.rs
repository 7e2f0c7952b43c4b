//! `mugai generate`: man pages and shell completions from the command-line definitions
//! (used by `scripts/build-deb.sh`; hidden from `mugai --help`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap_complete::Shell;

/// Arguments of `mugai generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// What to generate.
    #[command(subcommand)]
    pub what: GenerateWhat,
}

/// `mugai generate` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum GenerateWhat {
    /// Write one man page per command (mugai.1, mugai-sanitize.1, ...) into DIR.
    Man {
        /// Directory to write the pages to (created when missing).
        dir: PathBuf,
    },
    /// Print the completion script for SHELL on standard output.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: Shell,
    },
}

/// Runs `mugai generate` for the command tree `cmd` (the whole `mugai` command).
pub fn run(args: GenerateArgs, cmd: clap::Command) -> anyhow::Result<ExitCode> {
    match args.what {
        GenerateWhat::Man { dir } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
        }
        GenerateWhat::Completions { shell } => {
            let mut cmd = cmd;
            clap_complete::generate(shell, &mut cmd, "mugai", &mut std::io::stdout());
        }
    }
    Ok(ExitCode::SUCCESS)
}
