//! Store layouts: whose tables the store's operations reach.
//!
//! Today there is one layout, [`Layout::Own`]: mfa-admin's own schema (`store::tables`),
//! whose operations are the concern files beside this one (`users`, `credentials`, ...),
//! each written once for both engines. An application that keeps its users and factors in
//! its own tables (a Django site with django-otp first, then django-allauth and
//! better-auth; the team's notes on their schemas) is a second layout: a module per
//! application implementing the same operations (the `*Reads` traits and the `Tx` writes)
//! over its tables on both engines, chosen by the layout the store records when it is
//! adopted. What a layout has no place for fails in one place, [`Layout::require`], with
//! one message naming where the thing lives instead.
//!
//! Until a layout is adopted, an application's database is recognised here
//! ([`recognise`]) and refused by `init` and by every other command with the hint that
//! adopts it, so that `init` never writes mfa-admin's own tables beside the application's
//! (a second user table nothing keeps in step).

use super::{Result, StoreError};

/// The layout of a store: whose tables its operations reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// mfa-admin's own schema.
    Own,
}

/// What a command may need that a layout may have no place for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Feature {
    RememberedDevices,
    Notifications,
    Policy,
    AddUsers,
}

impl Layout {
    /// Refuses `feature` where this layout has no place for it (never, in the own layout).
    pub(crate) fn require(self, feature: Feature) -> Result<()> {
        match (self, feature) {
            (Layout::Own, _) => Ok(()),
        }
    }
}

/// An application schema mfa-admin recognises (and will adopt with `init --schema`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recognised {
    /// What the database is, in the message: "a Django database with django-otp's tables".
    pub(crate) what: &'static str,
    /// The `--schema` that adopts it.
    pub(crate) schema: &'static str,
    /// The tables that gave it away, for the message.
    pub(crate) tables: Vec<String>,
}

/// Application schemas, by the tables that identify them (all must be present; the first
/// ones listed are named in the message).
const KNOWN: &[(&str, &str, &[&str])] = &[
    (
        "a Django database with django-otp's tables",
        "django-otp",
        &[
            "otp_totp_totpdevice",
            "otp_static_staticdevice",
            "django_migrations",
        ],
    ),
    (
        "a Django database with django-allauth's MFA tables",
        "django-allauth",
        &["mfa_authenticator", "django_migrations"],
    ),
    (
        "a better-auth database with its two-factor tables",
        "better-auth",
        &["twoFactor", "user"],
    ),
];

/// The application schema `tables` (a database's table names) hold, if one is known.
pub(crate) fn recognise(tables: &[String]) -> Option<Recognised> {
    let has = |name: &str| tables.iter().any(|t| t.eq_ignore_ascii_case(name));
    KNOWN.iter().find_map(|(what, schema, needs)| {
        needs.iter().all(|t| has(t)).then(|| Recognised {
            what,
            schema,
            tables: needs
                .iter()
                .filter(|t| !t.starts_with("django_") && **t != "user")
                .map(|t| (*t).to_owned())
                .collect(),
        })
    })
}

/// The refusal for a recognised application database at `db` (exit 1, nothing written).
pub(crate) fn refusal(db: &str, found: Recognised) -> StoreError {
    StoreError::Application {
        db: db.to_owned(),
        what: found.what,
        tables: found.tables.join(", "),
        schema: found.schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn applications_are_recognised_by_their_tables() {
        let django = names(&[
            "auth_user",
            "django_migrations",
            "otp_static_staticdevice",
            "otp_totp_totpdevice",
        ]);
        assert_eq!(recognise(&django).unwrap().schema, "django-otp");
        let allauth = names(&["auth_user", "django_migrations", "mfa_authenticator"]);
        assert_eq!(recognise(&allauth).unwrap().schema, "django-allauth");
        assert_eq!(
            recognise(&names(&["user", "session", "twoFactor"]))
                .unwrap()
                .schema,
            "better-auth"
        );
        // A table of the same name alone is not an application.
        assert_eq!(recognise(&names(&["otp_totp_totpdevice", "notes"])), None);
        assert_eq!(Layout::Own.require(Feature::Policy).ok(), Some(()));
    }
}
