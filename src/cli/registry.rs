//! `kpack registry login|logout HOST`, and the registry flags shared by every command that
//! talks to an OCI registry ([`RegistryArgs`]).

use std::io::Read;
use std::path::PathBuf;

use kpack::oci::{self, Options};
use kpack::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Log in to a registry: check the credentials and store them in the credentials file.
    Login(LoginArgs),
    /// Forget the stored credentials for a registry.
    Logout(LogoutArgs),
}

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Registry host, HOST or HOST:PORT.
    pub host: String,
    /// User name.
    #[arg(short = 'u', long = "username")]
    pub username: String,
    /// Password or access token.
    #[arg(short = 'p', long = "password", conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from standard input.
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
    /// Use plain HTTP instead of HTTPS.
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// Accept the registry's TLS certificate without verifying it.
    #[arg(long = "insecure-skip-tls-verify", alias = "insecure")]
    pub insecure_skip_tls_verify: bool,
    /// Credentials file (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json).
    #[arg(long = "registry-config", value_name = "FILE")]
    pub registry_config: Option<PathBuf>,
    #[command(flatten)]
    pub tls: super::args::CertArgs,
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// Registry host, HOST or HOST:PORT.
    pub host: String,
    /// Credentials file (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json).
    #[arg(long = "registry-config", value_name = "FILE")]
    pub registry_config: Option<PathBuf>,
}

fn host_of(arg: &str) -> &str {
    arg.strip_prefix(oci::reference::SCHEME)
        .unwrap_or(arg)
        .trim_end_matches('/')
}

pub fn run(a: Args) -> Result<()> {
    match a.command {
        Command::Login(l) => {
            let password = match (l.password, l.password_stdin) {
                (Some(p), _) => {
                    super::output::print_warning(
                        "a password on the command line may be seen by other users and kept in shell history; prefer --password-stdin",
                    );
                    p
                }
                (None, true) => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|e| Error::io("standard input", e))?;
                    s.trim_end_matches(['\r', '\n']).to_string()
                }
                (None, false) => {
                    return Err(Error::usage(
                        "give the password with --password or --password-stdin",
                    ));
                }
            };
            let opts = Options {
                plain_http: l.plain_http,
                insecure_skip_tls_verify: l.insecure_skip_tls_verify,
                registry_config: l.registry_config,
                tls: l.tls.files(),
                ..Default::default()
            };
            let host = host_of(&l.host);
            let path = oci::login(host, &l.username, &password, &opts)?;
            outln!("Login Succeeded (credentials stored in {})", path.display());
        }
        Command::Logout(l) => {
            let opts = Options {
                registry_config: l.registry_config,
                ..Default::default()
            };
            let host = host_of(&l.host);
            let (path, removed) = oci::logout(host, &opts)?;
            if removed {
                outln!(
                    "Removed login credentials for {host} from {}",
                    path.display()
                );
            } else {
                return Err(Error::usage(format!(
                    "not logged in to {host} (no credentials for it in {})",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}
