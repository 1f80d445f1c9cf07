//! Property tests (proptest): random command sequences on the real binary, checked against
//! a model after every step.

use std::collections::BTreeSet;

use crate::support::*;

#[derive(Clone, Debug)]
enum Step {
    /// Let time pass, in TOTP periods.
    Wait(u8),
    /// `mfa verify` with the code of the step `offset` away from now.
    Verify {
        user: usize,
        offset: i8,
        remember: bool,
    },
    /// `recovery check` with one of the current codes, an old one, or a wrong one.
    Recovery {
        user: usize,
        pick: CodePick,
    },
    Regenerate {
        user: usize,
    },
    Reset {
        user: usize,
    },
    /// `mfa enroll` + `mfa confirm` (only when the user has no credential).
    Enroll {
        user: usize,
    },
}

#[derive(Clone, Copy, Debug)]
enum CodePick {
    Current(usize),
    Old(usize),
    Wrong,
}

#[derive(Clone, Debug, Default)]
struct Model {
    enrolled: bool,
    secret: String,
    last_step: Option<i64>,
    /// The current codes and whether each was used.
    codes: Vec<(String, bool)>,
    old_codes: Vec<String>,
    devices: i64,
    /// Counts credentials, so a step is "at most once" per credential.
    generation: usize,
}

const PROP_USERS: [&str; 2] = ["ann", "bob"];

fn step_strategy() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    let user = 0..PROP_USERS.len();
    prop_oneof![
        2 => (0u8..3).prop_map(Step::Wait),
        4 => (user.clone(), -2i8..=2, any::<bool>())
            .prop_map(|(user, offset, remember)| Step::Verify { user, offset, remember }),
        4 => (user.clone(), prop_oneof![
                3 => (0usize..2).prop_map(CodePick::Current),
                1 => (0usize..4).prop_map(CodePick::Old),
                1 => Just(CodePick::Wrong),
            ])
            .prop_map(|(user, pick)| Step::Recovery { user, pick }),
        1 => user.clone().prop_map(|user| Step::Regenerate { user }),
        1 => user.clone().prop_map(|user| Step::Reset { user }),
        1 => user.prop_map(|user| Step::Enroll { user }),
    ]
}

fn user_count(env: &Env, user: &str, table: &str) -> i64 {
    count(
        env,
        &format!(
            "SELECT count(*) FROM {table} t JOIN users u ON u.id = t.user_id WHERE u.username = '{user}'"
        ),
    )
}

/// Runs one random sequence on a copy of `template`; panics when the store disagrees with
/// the model or an invariant breaks.
fn run_sequence(template: &Env, models: &[Model], steps: &[Step]) {
    let mut env = template.clone_env();
    let mut models = models.to_vec();
    let mut now = NOW + 60;
    let mut accepted_codes: BTreeSet<String> = BTreeSet::new();
    let mut accepted_steps: BTreeSet<(usize, usize, i64)> = BTreeSet::new();
    for step in steps {
        env.now = Some(now);
        match *step {
            Step::Wait(periods) => now += 30 * i64::from(periods),
            Step::Verify {
                user,
                offset,
                remember,
            } => {
                let m = &mut models[user];
                let name = PROP_USERS[user];
                let target = now / 30 + i64::from(offset);
                let code = if m.enrolled {
                    totp_code(&m.secret, target * 30, 6, 30, "SHA1")
                } else {
                    "123456".into()
                };
                let mut args = vec!["mfa", "verify", name, &code];
                if remember {
                    args.extend(["--remember-device", "laptop"]);
                }
                let done = env.run(&args);
                let valid =
                    m.enrolled && offset.abs() <= 1 && m.last_step.is_none_or(|last| target > last);
                if valid {
                    done.ok();
                    m.last_step = Some(target);
                    m.devices += i64::from(remember);
                    assert!(
                        accepted_steps.insert((user, m.generation, target)),
                        "step {target} of {name} accepted twice"
                    );
                } else {
                    done.code_is(4);
                }
            }
            Step::Recovery { user, pick } => {
                let m = &mut models[user];
                let name = PROP_USERS[user];
                let (code, valid) = match pick {
                    CodePick::Current(i) => match m.codes.get(i) {
                        Some((code, used)) => (code.clone(), m.enrolled && !used),
                        None => ("2345-6789-abcd-efgh".to_owned(), false),
                    },
                    CodePick::Old(i) if !m.old_codes.is_empty() => {
                        (m.old_codes[i % m.old_codes.len()].clone(), false)
                    }
                    CodePick::Old(_) | CodePick::Wrong => ("2345-6789-abcd-efgh".to_owned(), false),
                };
                let done = env.run(&["recovery", "check", name, &code]);
                if valid {
                    done.ok();
                    if let CodePick::Current(i) = pick {
                        m.codes[i].1 = true;
                    }
                    assert!(accepted_codes.insert(code.clone()), "{code} accepted twice");
                } else {
                    done.code_is(4);
                }
            }
            Step::Regenerate { user } => {
                let m = &mut models[user];
                let done = env.run(&[
                    "--json",
                    "--yes",
                    "recovery",
                    "regenerate",
                    PROP_USERS[user],
                ]);
                if m.enrolled {
                    let codes = done
                        .ok()
                        .json::<Confirmed>()
                        .recovery_codes
                        .into_iter()
                        .map(|c| (c, false))
                        .collect();
                    m.old_codes.extend(
                        std::mem::replace(&mut m.codes, codes)
                            .into_iter()
                            .map(|c| c.0),
                    );
                } else {
                    done.code_is(4);
                }
            }
            Step::Reset { user } => {
                let m = &mut models[user];
                let name = PROP_USERS[user];
                env.run(&["--yes", "mfa", "reset", name]).ok();
                m.enrolled = false;
                m.last_step = None;
                m.devices = 0;
                m.old_codes.extend(m.codes.drain(..).map(|c| c.0));
                // Nothing left behind (the codes live in their recovery_sets row).
                for table in ["totp_credentials", "recovery_sets", "trusted_devices"] {
                    assert_eq!(
                        user_count(&env, name, table),
                        0,
                        "{table} of {name} after reset"
                    );
                }
                let flagged = count(
                    &env,
                    &format!("SELECT enrollment_required FROM users WHERE username = '{name}'"),
                );
                assert_eq!(flagged, 1);
            }
            Step::Enroll { user } => {
                if models[user].enrolled {
                    continue;
                }
                let (secret, codes) = enroll_confirmed(&mut env, PROP_USERS[user], now);
                let m = &mut models[user];
                m.enrolled = true;
                m.secret = secret;
                m.last_step = Some(now / 30);
                m.codes = codes.into_iter().map(|c| (c, false)).collect();
                m.generation += 1;
                accepted_steps.insert((user, m.generation, now / 30));
            }
        }
        // The store agrees with the model.
        for (user, m) in models.iter().enumerate() {
            let name = PROP_USERS[user];
            let used = count(
                &env,
                &format!(
                    "SELECT coalesce(sum(length(s.code_hashes) / 32 - s.remaining), 0)
                     FROM recovery_sets s JOIN users u ON u.id = s.user_id
                     WHERE u.username = '{name}'"
                ),
            );
            assert_eq!(
                used,
                m.codes.iter().filter(|c| c.1).count() as i64,
                "{name}: used codes"
            );
            assert_eq!(
                count(
                    &env,
                    &format!(
                        "SELECT coalesce(sum(length(s.code_hashes) / 32), 0)
                         FROM recovery_sets s JOIN users u ON u.id = s.user_id
                         WHERE u.username = '{name}'"
                    ),
                ),
                m.codes.len() as i64
            );
            assert_eq!(
                user_count(&env, name, "trusted_devices"),
                m.devices,
                "{name}: devices"
            );
            assert_eq!(
                user_count(&env, name, "totp_credentials"),
                i64::from(m.enrolled)
            );
        }
    }
    audit_ok(&env);
    env.now = Some(now);
    env.run(&["doctor"]).ok();
}

#[test]
fn random_command_sequences_keep_the_store_invariants() {
    use proptest::test_runner::{Config, TestRunner};
    let mut template = Env::init();
    for (key, value) in [
        ("recovery_codes", "2"),
        ("lockout_threshold", "100"),
        ("totp_skew", "1"),
    ] {
        template.run(&["policy", "set", key, value]).ok();
    }
    let mut models = Vec::new();
    for name in PROP_USERS {
        template.run(&["user", "add", name]).ok();
        let (secret, codes) = enroll_confirmed(&mut template, name, NOW);
        models.push(Model {
            enrolled: true,
            secret,
            last_step: Some(NOW / 30),
            codes: codes.into_iter().map(|c| (c, false)).collect(),
            generation: 1,
            ..Model::default()
        });
    }
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(step_strategy(), 1..10);
    let result = runner.run(&strategy, |steps| {
        run_sequence(&template, &models, &steps);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
