//! Destinations claimed by lock rows, so that two different source objects never land on one
//! destination. Both writers of asset bytes plan through [`Destinations`]: `relocate`
//! (an object store or directory the user names: a clash is refused, the user picks another
//! layout) and `build --include-assets` (the package's own `assets/` tree, whose layout is
//! ours: a clash gets a numbered name, `visual-2.tif`).
//!
//! Sanitising is what makes clashes: item ids `x/y` and `x_y` both become `x_y`, asset keys
//! `visual` (href `….tif`) and `visual.tif` both become `visual.tif`. Inside a package the
//! comparison also ignores letter case, because a package is unpacked on macOS and Windows
//! file systems too, where `Visual.tif` and `visual.tif` are one file.

use std::collections::HashMap;

use crate::{Error, Result};

/// What to do when a second source claims a destination already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnClash {
    /// An error naming both rows and the destination (relocate).
    Refuse,
    /// The next free numbered name, compared without letter case (a package's assets).
    Number,
}

/// The destinations claimed so far, with the row and source that claimed each.
#[derive(Debug)]
pub struct Destinations {
    on_clash: OnClash,
    /// Comparison key → (claiming row's label, its source href).
    taken: HashMap<String, (String, Option<String>)>,
}

impl Destinations {
    /// No destination taken yet.
    pub fn new(on_clash: OnClash) -> Self {
        Destinations {
            on_clash,
            taken: HashMap::new(),
        }
    }

    fn key(&self, destination: &str) -> String {
        match self.on_clash {
            OnClash::Refuse => destination.to_string(),
            OnClash::Number => destination.to_lowercase(),
        }
    }

    /// Claims `destination` for the row `label` whose bytes come from `source`: the
    /// destination to use. The same source claiming again (one object listed twice) gets the
    /// same destination.
    pub fn claim(
        &mut self,
        destination: String,
        label: &str,
        source: Option<&str>,
    ) -> Result<String> {
        let mut candidate = destination.clone();
        let mut n = 1;
        loop {
            let key = self.key(&candidate);
            match self.taken.get(&key) {
                None => {
                    self.taken
                        .insert(key, (label.to_string(), source.map(str::to_string)));
                    return Ok(candidate);
                }
                Some((_, first_source)) if first_source.as_deref() == source => {
                    return Ok(candidate)
                }
                Some((first, _)) => match self.on_clash {
                    OnClash::Refuse => {
                        return Err(Error::input(
                            "relocate plan",
                            format!(
                                "{first} and {label} both map to {destination}; pick --layout source-key or a layout-safe prefix so different objects do not overwrite each other"
                            ),
                        ))
                    }
                    OnClash::Number => {
                        n += 1;
                        candidate = numbered(&destination, n);
                    }
                },
            }
        }
    }
}

/// `dir/name-N.ext` for `dir/name.ext` (the number before the last extension of the file
/// name; `name-N` when it has none).
fn numbered(path: &str, n: usize) -> String {
    let (dir, name) = match path.rfind('/') {
        Some(i) => path.split_at(i + 1),
        None => ("", path),
    };
    match name.rfind('.') {
        Some(i) if i > 0 => format!("{dir}{}-{n}{}", &name[..i], &name[i..]),
        _ => format!("{dir}{name}-{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_numbers_clashes_ignoring_case_and_relocate_refuses_them() {
        let mut d = Destinations::new(OnClash::Number);
        let a = d.claim(
            "x_y/visual.tif".into(),
            "x/y/visual",
            Some("https://h/a.tif"),
        );
        let b = d.claim(
            "x_y/visual.tif".into(),
            "x_y/visual",
            Some("https://h/b.tif"),
        );
        let c = d.claim(
            "x_y/Visual.tif".into(),
            "x_y/Visual",
            Some("https://h/c.tif"),
        );
        let again = d.claim(
            "x_y/visual.tif".into(),
            "x/y/visual",
            Some("https://h/a.tif"),
        );
        let bare = d.claim("i/noext".into(), "i/noext", Some("s3://b/1"));
        let bare2 = d.claim("i/noext".into(), "i/noext2", Some("s3://b/2"));
        let got: Vec<String> = [a, b, c, again, bare, bare2]
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            got,
            [
                "x_y/visual.tif",
                "x_y/visual-2.tif",
                "x_y/Visual-3.tif",
                "x_y/visual.tif",
                "i/noext",
                "i/noext-2"
            ]
        );
        let mut r = Destinations::new(OnClash::Refuse);
        r.claim("s3://b/k".into(), "a/1", Some("https://h/a"))
            .unwrap();
        r.claim("s3://b/K".into(), "a/2", Some("https://h/b"))
            .unwrap();
        let err = r
            .claim("s3://b/k".into(), "a/3", Some("https://h/c"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a/1 and a/3 both map to s3://b/k"), "{err}");
    }
}
