//! Where a package goes to or comes from: a registry reference or an OCI image layout.
//!
//! `oci:PATH[:TAG]` names an OCI image-layout directory, as skopeo and containers/image spell
//! it (the path ends at the first `:` after `oci:`, so it cannot hold one). Anything else is a
//! registry reference `HOST[:PORT]/REPO[:TAG][@DIGEST]`.

use std::fmt;
use std::path::PathBuf;

use oci_client::Reference;

use crate::{Error, Result};

/// Tag used for an image layout when none is given on push.
pub const DEFAULT_LAYOUT_TAG: &str = "latest";

/// A push target or pull source.
#[derive(Debug, Clone)]
pub enum Target {
    /// A registry repository and tag or digest.
    Registry(Reference),
    /// An OCI image-layout directory and an optional tag.
    Layout {
        /// The layout directory.
        path: PathBuf,
        /// The tag (`org.opencontainers.image.ref.name`), if given.
        tag: Option<String>,
    },
}

impl Target {
    /// Parses a TARGET / SOURCE argument.
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(rest) = text.strip_prefix("oci:") {
            let (path, tag) = match rest.split_once(':') {
                Some((p, t)) => (p, Some(t)),
                None => (rest, None),
            };
            if path.is_empty() {
                return Err(Error::input(
                    text,
                    "an OCI layout needs a directory: `oci:PATH` or `oci:PATH:TAG`",
                ));
            }
            if let Some(t) = tag {
                if !valid_tag(t) {
                    return Err(Error::input(
                        text,
                        "invalid tag: up to 128 of [A-Za-z0-9_.-], not starting with `.` or `-`",
                    ));
                }
            }
            return Ok(Target::Layout {
                path: PathBuf::from(path),
                tag: tag.map(str::to_string),
            });
        }
        if text.contains("://") {
            return Err(Error::input(
                text,
                "a registry reference has no scheme: write HOST[:PORT]/REPO:TAG (use --plain-http for http)",
            ));
        }
        let reference: Reference = text.parse().map_err(|e| {
            Error::input(
                text,
                format!("not an OCI reference ({e}); write HOST[:PORT]/REPO:TAG or oci:PATH:TAG"),
            )
        })?;
        Ok(Target::Registry(reference))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Registry(r) => write!(f, "{r}"),
            Target::Layout { path, tag } => {
                write!(f, "oci:{}", path.display())?;
                if let Some(t) = tag {
                    write!(f, ":{t}")?;
                }
                Ok(())
            }
        }
    }
}

/// OCI tag grammar: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        match Target::parse("oci:/tmp/x:v1").unwrap() {
            Target::Layout { path, tag } => {
                assert_eq!(path, PathBuf::from("/tmp/x"));
                assert_eq!(tag.as_deref(), Some("v1"));
            }
            t => panic!("{t:?}"),
        }
        match Target::parse("oci:rel/dir").unwrap() {
            Target::Layout { tag, .. } => assert_eq!(tag, None),
            t => panic!("{t:?}"),
        }
        assert!(Target::parse("oci:").is_err());
        assert!(Target::parse("oci:/x:bad tag").is_err());
    }

    #[test]
    fn registries() {
        match Target::parse("127.0.0.1:5000/pkgs/demo:v1").unwrap() {
            Target::Registry(r) => {
                assert_eq!(r.registry(), "127.0.0.1:5000");
                assert_eq!(r.repository(), "pkgs/demo");
                assert_eq!(r.tag(), Some("v1"));
            }
            t => panic!("{t:?}"),
        }
        assert!(Target::parse("http://127.0.0.1:5000/x:v1").is_err());
        assert!(Target::parse("a//b:c").is_err());
    }
}
