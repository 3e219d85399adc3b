//! `stacpkg tui --print-config` / `--print-keys`: the console's effective settings and keys,
//! printed without a terminal; a broken `config.toml` stops start-up naming its path and key.

use testkit::{stacpkg, temp_dir, write_temp};

fn tui(config: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    stacpkg()
        .env("STACPKG_CONFIG_DIR", config)
        .env("STACPKG_STATE_DIR", config.join("state"))
        .env_remove("NO_COLOR")
        .env_remove("STACPKG_THEME")
        .env_remove("COLORFGBG")
        .arg("tui")
        .args(args)
        .assert()
}

#[test]
fn print_config_shows_the_files_and_the_effective_settings() {
    let dir = temp_dir();
    write_temp(
        dir.path(),
        "config.toml",
        "theme = \"light\"\nfps = 8\nprotected_registries = [\"reg.example/prod\"]\n",
    );
    let out = tui(dir.path(), &["--print-config", "--read-only", "--no-mouse"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for line in [
        "read_only = true",
        "mouse = false",
        "theme = \"light\"",
        "fps = 8",
        "protected_registries = [\"reg.example/prod\"]",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}: {text}");
    }
    assert!(text.contains("config.toml"), "{text}");
    // --fps wins over the file.
    let out = tui(dir.path(), &["--print-config", "--fps", "12"]).success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("fps = 12"));
    // The image protocol: auto by default, the flag wins, a bad one is named.
    assert!(
        text.lines().any(|l| l == "image_protocol = \"auto\""),
        "{text}"
    );
    let out = tui(dir.path(), &["--print-config", "--image-protocol", "sixel"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.lines().any(|l| l == "image_protocol = \"sixel\""),
        "{text}"
    );
    let out = tui(dir.path(), &["--print-config", "--image-protocol", "png"]).failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("image protocol `png`") && err.contains("halfblocks"),
        "{err}"
    );
}

#[test]
fn a_broken_config_names_its_path_and_key() {
    let dir = temp_dir();
    write_temp(dir.path(), "config.toml", "# mine\nread-only = true\n");
    let out = tui(dir.path(), &["--print-config"]).failure().code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("config.toml (line 2)") && err.contains("read-only"),
        "{err}"
    );
    write_temp(dir.path(), "config.toml", "theme = \"neon\"\n");
    let out = tui(dir.path(), &["--print-config"]).failure().code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("theme: unknown theme \"neon\""), "{err}");
}

#[test]
fn print_keys_lists_every_binding_with_its_command_name() {
    let dir = temp_dir();
    write_temp(
        dir.path(),
        "keymap.json",
        r#"{"bindings": [{"key": "x", "command": "quit", "scope": "global"}]}"#,
    );
    let out = tui(dir.path(), &["--print-keys"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let has = |scope: &str, key: &str, name: &str| {
        text.lines().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.len() >= 3 && w[0] == scope && w[1] == key && w[2] == name
        })
    };
    assert!(has("global", "x", "quit"), "{text}");
    assert!(has("package", "p", "push_package"), "{text}");
    assert!(has("global", "y", "copy_value"), "{text}");
}

#[test]
fn doctor_outside_tmux_reports_the_terminal_and_exits_0() {
    let out = stacpkg()
        .env_remove("TMUX")
        .env_remove("NO_COLOR")
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_TTY")
        .env("TERM", "xterm")
        .env("COLORTERM", "")
        .arg("doctor")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("✗ colours              basic (xterm)"),
        "{text}"
    );
    assert!(text.contains("fix: export TERM=xterm-256color"), "{text}");
    assert!(text.contains("✓ tmux                 no"), "{text}");
    assert!(text.contains("✓ ssh                  no"), "{text}");
}

#[test]
fn keymap_tables_in_the_config_patch_the_keys_and_a_bad_one_is_named() {
    let dir = temp_dir();
    write_temp(
        dir.path(),
        "config.toml",
        "[[keymap]]\nkey = \"f5\"\ncommand = \"validate_lock\"\nscope = \"lock\"\n",
    );
    let out = tui(dir.path(), &["--print-keys"]).success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().take(3).collect::<Vec<_>>()
                == ["lock", "f5", "validate_lock"]),
        "{text}"
    );
    write_temp(
        dir.path(),
        "config.toml",
        "[[keymap]]\nkey = \"hyper-x\"\ncommand = \"quit\"\n",
    );
    let out = tui(dir.path(), &["--print-keys"]).failure().code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("config.toml: keymap: unknown key \"hyper-x\""),
        "{err}"
    );
}
