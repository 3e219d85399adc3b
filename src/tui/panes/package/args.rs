//! The words of a package prompt or `:` command (`pkg --include-assets`, `HOST/REPO:TAG
//! --plain-http`): split like a shell splits them (quotes and backslashes), flags checked
//! against the CLI's own names so a typo is an error, not a silent default.

/// Splits `text` into words: whitespace separates, `'…'` and `"…"` group, `\` escapes.
pub fn words(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => match chars.next() {
                Some(next) => {
                    word.push(next);
                    in_word = true;
                }
                None => return Err("a trailing \\ escapes nothing".to_string()),
            },
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed {q}"));
    }
    if in_word {
        out.push(word);
    }
    Ok(out)
}

/// Quotes `word` for a shell when it needs it (for the CLI equivalents in the command log).
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Positional words and the flags given, checked against `allowed` (without `--`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The words that are not flags, in order.
    pub positional: Vec<String>,
    /// The flags given (without `--`).
    pub flags: Vec<String>,
    /// `--flag VALUE` pairs for the flags that take a value.
    pub values: Vec<(String, String)>,
}

impl Parsed {
    /// Whether `--flag` was given.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// The value of `--flag VALUE`, if given.
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `text`: switches in `switches`, flags with a value in `valued` (`--flag V` or
/// `--flag=V`); any other `--word` is an error naming the allowed ones.
pub fn parse(text: &str, switches: &[&str], valued: &[&str]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut it = words(text)?.into_iter();
    while let Some(w) = it.next() {
        let Some(flag) = w.strip_prefix("--") else {
            parsed.positional.push(w);
            continue;
        };
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.to_string(), None),
        };
        if switches.contains(&name.as_str()) && inline.is_none() {
            parsed.flags.push(name);
        } else if valued.contains(&name.as_str()) {
            let value = match inline {
                Some(v) => v,
                None => it.next().ok_or_else(|| format!("--{name} needs a value"))?,
            };
            parsed.values.push((name, value));
        } else {
            let known: Vec<String> = switches
                .iter()
                .chain(valued)
                .map(|f| format!("--{f}"))
                .collect();
            return Err(if known.is_empty() {
                format!("unknown flag --{name}: this takes no flags")
            } else {
                format!("unknown flag --{name}; use {}", known.join(", "))
            });
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            words(r#"build "my pkg" --force a\ b 'x"y'"#).unwrap(),
            ["build", "my pkg", "--force", "a b", "x\"y"]
        );
        assert_eq!(words("  ").unwrap(), Vec::<String>::new());
        assert_eq!(words("''").unwrap(), [""]);
        assert!(words("'open").unwrap_err().contains("unclosed"));
    }

    #[test]
    fn quoting_round_trips_through_words() {
        for w in ["plain/path.parquet", "with space", "it's", "", "a\"b"] {
            assert_eq!(words(&quote(w)).unwrap(), [w]);
        }
    }

    #[test]
    fn flags_are_checked() {
        let p = parse(
            "pkg --force --include-assets",
            &["force", "include-assets"],
            &[],
        )
        .unwrap();
        assert_eq!(p.positional, ["pkg"]);
        assert!(p.has("force") && p.has("include-assets"));
        let e = parse("pkg --forse", &["force"], &[]).unwrap_err();
        assert!(e.contains("--forse") && e.contains("--force"), "{e}");
        let p = parse("--alternate-key=s3 --x y", &[], &["alternate-key", "x"]).unwrap();
        assert_eq!(p.value("alternate-key"), Some("s3"));
        assert_eq!(p.value("x"), Some("y"));
        assert!(parse("--x", &[], &["x"])
            .unwrap_err()
            .contains("needs a value"));
    }
}
