//! Input files for `user import` and `mfa reset --from-file`: binary, non-UTF-8, a BOM and
//! CRLF, `/dev/zero`.

use crate::support::*;

#[test]
fn binary_and_non_utf8_input_files_are_refused_whole() {
    let env = Env::with_users(&["ann", "bo"]);
    let before = dump(&env);
    let binary: Vec<u8> = (0u8..=255).cycle().take(5000).collect();
    let binary = write_file(&env, "binary", &binary);
    let latin1 = write_file(
        &env,
        "latin1.csv",
        b"username,name,email\ncy,Cy,cy@example.com\nj\xf6rg,J\xf6rg,j@example.com\n",
    );
    let list = write_file(&env, "latin1.txt", b"ann\nj\xf6rg\nbo\n");
    env.run(&["user", "import", s(&binary)])
        .code_is(2)
        .error_mentions("");
    env.run(&["user", "import", s(&latin1)])
        .code_is(2)
        .error_mentions("line 3");
    env.run(&["--yes", "mfa", "reset", "--from-file", s(&binary)])
        .code_is(2)
        .error_mentions("");
    env.run(&["--yes", "mfa", "reset", "--from-file", s(&list)])
        .code_is(2)
        .error_mentions("line 2");
    unchanged(&env, &before);
}

#[test]
fn a_bom_and_crlf_line_endings_are_accepted() {
    let mut env = Env::with_users(&["ann", "bo"]);
    enroll_confirmed(&mut env, "ann", NOW);
    let csv = write_file(
        &env,
        "users.csv",
        "\u{feff}username,name,email\r\ncy,Cy Example,cy@example.com\r\ndee,Dee,dee@example.com\r\n",
    );
    let imported = env
        .run(&["--json", "user", "import", s(&csv)])
        .ok()
        .json::<Imported>();
    assert_eq!(imported.imported, 2);
    let cy = env
        .run(&["--json", "user", "show", "cy"])
        .ok()
        .json::<UserDetail>();
    assert_eq!(cy.user.name, "Cy Example");
    assert_eq!(cy.user.email, "cy@example.com", "no stray \\r");
    let list = write_file(&env, "users.txt", "\u{feff}ann\r\n# comment\r\n\r\nbo\r\n");
    let rows = env
        .run(&["--json", "--yes", "mfa", "reset", "--from-file", s(&list)])
        .ok()
        .json_lines::<ResetRow>();
    let results: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.username.as_str(), r.result.as_str()))
        .collect();
    assert_eq!(results, [("ann", "reset"), ("bo", "nothing_to_reset")]);
}

/// Runs `cmd` (stdout and stderr piped) and kills it if it has not finished in `limit`:
/// a hang guard, not a timing assertion.
fn run_bounded(mut cmd: std::process::Command, limit: std::time::Duration) -> Done {
    use std::process::Stdio;
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("wait");
            panic!(
                "still running after {limit:?} (killed); stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Done {
        output: child.wait_with_output().expect("wait"),
    }
}

#[test]
fn dev_zero_as_an_input_file_fails_fast() {
    let mut env = Env::with_users(&["ann"]);
    enroll_confirmed(&mut env, "ann", NOW);
    let before = dump(&env);
    let limit = std::time::Duration::from_secs(30);
    run_bounded(env.command(&["user", "import", "/dev/zero"]), limit)
        .code_is(2)
        .error_mentions("longer than");
    run_bounded(
        env.command(&["--yes", "mfa", "reset", "--from-file", "/dev/zero"]),
        limit,
    )
    .code_is(2)
    .error_mentions("longer than");
    let mut from_stdin = env.command(&["--yes", "mfa", "reset", "--from-file", "-"]);
    from_stdin.stdin(std::fs::File::open("/dev/zero").unwrap());
    run_bounded(from_stdin, limit)
        .code_is(2)
        .error_mentions("longer than");
    let mut csv_stdin = env.command(&["user", "import", "-"]);
    csv_stdin.stdin(std::fs::File::open("/dev/zero").unwrap());
    run_bounded(csv_stdin, limit)
        .code_is(2)
        .error_mentions("longer than");
    for args in [
        &["recovery", "check", "ann", "-"][..],
        &["mfa", "verify", "ann", "-"],
    ] {
        let mut code = env.command(args);
        code.stdin(std::fs::File::open("/dev/zero").unwrap());
        run_bounded(code, limit)
            .code_is(4)
            .error_mentions("too long");
    }
    unchanged(&env, &before);
}
