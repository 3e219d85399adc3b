//! Registry credentials: where they come from, and never where they go.
//!
//! Order, first match wins: `--username` + `--password-stdin`; `ORAS_USER` + `ORAS_PASS` (the
//! Python tool's oras-py `basic` backend reads these); the Docker config (`$DOCKER_CONFIG/
//! config.json`, else `~/.docker/config.json`): a per-registry `credHelpers` entry, an inline
//! `auths` entry, the global `credsStore`; else anonymous. Whether the registry then wants
//! Basic or a bearer token is negotiated from its `WWW-Authenticate` challenge (oci-client).
//!
//! Secrets live only in [`Credentials`], whose `Debug` hides them; error messages name the
//! source (`ORAS_USER`, the config path, the helper) but never a value.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;
use oci_client::secrets::RegistryAuth;
use serde_json::Value;

use crate::{Error, Result};

/// Where credentials were found (for `-v` diagnostics; never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// No credentials.
    Anonymous,
    /// `--username` + `--password-stdin`.
    CommandLine,
    /// `ORAS_USER` / `ORAS_PASS`.
    OrasEnv,
    /// The Docker config file (inline `auths`).
    DockerConfig(PathBuf),
    /// A Docker credential helper.
    Helper(String),
}

/// Registry credentials.
#[derive(Clone)]
pub struct Credentials {
    /// What oci-client sends.
    pub auth: RegistryAuth,
    /// Where they came from.
    pub source: CredentialSource,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.auth {
            RegistryAuth::Anonymous => "anonymous",
            RegistryAuth::Basic(..) => "basic (hidden)",
            RegistryAuth::Bearer(..) => "bearer (hidden)",
        };
        write!(f, "Credentials({kind}, from {:?})", self.source)
    }
}

impl Credentials {
    /// No credentials.
    pub fn anonymous() -> Self {
        Self {
            auth: RegistryAuth::Anonymous,
            source: CredentialSource::Anonymous,
        }
    }
}

/// Finds credentials for `registry` (`host[:port]`). `explicit` is `--username` and the
/// password read from stdin.
pub fn resolve(registry: &str, explicit: Option<(String, String)>) -> Result<Credentials> {
    if let Some((user, pass)) = explicit {
        return Ok(Credentials {
            auth: RegistryAuth::Basic(user, pass),
            source: CredentialSource::CommandLine,
        });
    }
    match (std::env::var("ORAS_USER"), std::env::var("ORAS_PASS")) {
        (Ok(u), Ok(p)) if !u.is_empty() => {
            return Ok(Credentials {
                auth: RegistryAuth::Basic(u, p),
                source: CredentialSource::OrasEnv,
            })
        }
        (Ok(u), Err(_)) if !u.is_empty() => {
            return Err(Error::input(
                "ORAS_USER",
                "is set but ORAS_PASS is not; set both, or use --username with --password-stdin",
            ))
        }
        _ => {}
    }
    if let Some(path) = docker_config_path() {
        if path.is_file() {
            if let Some(found) = from_docker_config(&path, registry)? {
                return Ok(found);
            }
        }
    }
    Ok(Credentials::anonymous())
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// The registry host a Docker config key names (`https://host/v1/` → `host`).
fn config_key_host(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

/// Docker Hub's config key differs from its registry host.
fn canonical_host(host: &str) -> &str {
    match host {
        "docker.io" | "registry-1.docker.io" | "index.docker.io" => "index.docker.io",
        h => h,
    }
}

fn from_docker_config(path: &std::path::Path, registry: &str) -> Result<Option<Credentials>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(&name, e))?;
    let config: Value = serde_json::from_str(&text).map_err(|e| Error::Json {
        input: name.clone(),
        line: 0,
        source: e,
    })?;
    let host = canonical_host(registry);
    if let Some(helper) = config
        .get("credHelpers")
        .and_then(Value::as_object)
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| canonical_host(config_key_host(k)) == host)
                .and_then(|(_, v)| v.as_str())
        })
    {
        return from_helper(helper, registry).map(Some);
    }
    if let Some(entry) = config
        .get("auths")
        .and_then(Value::as_object)
        .and_then(|a| {
            a.iter()
                .find(|(k, _)| canonical_host(config_key_host(k)) == host)
                .map(|(_, v)| v)
        })
    {
        if let Some(token) = entry.get("registrytoken").and_then(Value::as_str) {
            return Ok(Some(Credentials {
                auth: RegistryAuth::Bearer(token.to_string()),
                source: CredentialSource::DockerConfig(path.to_path_buf()),
            }));
        }
        let basic = match entry.get("auth").and_then(Value::as_str) {
            Some(encoded) if !encoded.is_empty() => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| {
                        Error::input(
                            &name,
                            format!("the `auth` entry for {registry} is not base64 of user:password; run `docker login {registry}` again"),
                        )
                    })?;
                let text = String::from_utf8(bytes).unwrap_or_default();
                text.split_once(':')
                    .map(|(u, p)| (u.to_string(), p.to_string()))
            }
            _ => match (
                entry.get("username").and_then(Value::as_str),
                entry.get("password").and_then(Value::as_str),
            ) {
                (Some(u), Some(p)) => Some((u.to_string(), p.to_string())),
                _ => None,
            },
        };
        if let Some((user, pass)) = basic {
            return Ok(Some(Credentials {
                auth: RegistryAuth::Basic(user, pass),
                source: CredentialSource::DockerConfig(path.to_path_buf()),
            }));
        }
    }
    if let Some(store) = config.get("credsStore").and_then(Value::as_str) {
        return match from_helper(store, registry) {
            Ok(c) => Ok(Some(c)),
            Err(e) => {
                // A global store that knows nothing about this registry is not an error.
                tracing::debug!("credsStore {store}: {e}");
                Ok(None)
            }
        };
    }
    Ok(None)
}

/// Asks `docker-credential-<helper> get` for the registry's credentials.
fn from_helper(helper: &str, registry: &str) -> Result<Credentials> {
    let program = format!("docker-credential-{helper}");
    let context = format!("credential helper {program} (from the Docker config)");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(&context, e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(registry.as_bytes())
            .map_err(|e| Error::io(&context, e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io(&context, e))?;
    if !out.status.success() {
        return Err(Error::input(
            context,
            format!("has no credentials for {registry} ({})", out.status),
        ));
    }
    let value: Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| Error::input(&context, "printed something that is not JSON"))?;
    let user = value.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = value.get("Secret").and_then(Value::as_str).unwrap_or("");
    if user == "<token>" {
        return Err(Error::input(
            context,
            format!("returned an identity token for {registry}, which stacpkg cannot use; log in with a password or use --username/--password-stdin"),
        ));
    }
    Ok(Credentials {
        auth: RegistryAuth::Basic(user.to_string(), secret.to_string()),
        source: CredentialSource::Helper(program),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys() {
        assert_eq!(
            config_key_host("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(config_key_host("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(canonical_host("docker.io"), "index.docker.io");
    }

    #[test]
    fn reads_inline_auths_and_hides_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        std::fs::write(
            &path,
            format!(r#"{{"auths":{{"https://127.0.0.1:5000/v1/":{{"auth":"{encoded}"}}}}}}"#),
        )
        .unwrap();
        let creds = from_docker_config(&path, "127.0.0.1:5000")
            .unwrap()
            .unwrap();
        match &creds.auth {
            RegistryAuth::Basic(u, p) => assert_eq!((u.as_str(), p.as_str()), ("alice", "s3cret")),
            other => panic!("{other:?}"),
        }
        assert!(!format!("{creds:?}").contains("s3cret"));
        assert!(from_docker_config(&path, "other:1").unwrap().is_none());
    }
}
