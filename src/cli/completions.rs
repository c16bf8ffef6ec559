//! `lockdown completions SHELL`: the shell's completion script on stdout, generated from the
//! same clap definitions the parser uses (clap_complete), so it never drifts from the flags.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:\n  \
    bash: lockdown completions bash > ~/.local/share/bash-completion/completions/lockdown\n  \
    zsh:  lockdown completions zsh > ~/.zfunc/_lockdown   (with fpath+=~/.zfunc in .zshrc)\n  \
    fish: lockdown completions fish > ~/.config/fish/completions/lockdown.fish")]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut command = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "lockdown", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs `completions`.
pub fn run(args: CompletionsArgs, ui: &Ui) -> Result<Exit, Error> {
    ui.raw(&script(args.shell));
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each shell's script names every subcommand (a new one is completed without other work).
    #[test]
    fn every_shell_completes_every_subcommand() {
        let names: Vec<String> = super::super::Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        assert!(names.iter().any(|n| n == "respond"));
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let text = script(shell);
            for name in &names {
                assert!(text.contains(name.as_str()), "{shell}: no `{name}`");
            }
        }
    }
}
