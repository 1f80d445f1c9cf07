//! What a user is told, through the notification outbox, about a change to their account
//! (NIST SP 800-63B asks that a subscriber be notified of factor changes and lockouts).
//! Every kind and its text live here, once.

/// One kind of notice. `kind()` is the stable machine name the application switches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    /// An administrator reset the user's MFA.
    Reset,
    /// A new authenticator app was confirmed.
    Enrolled,
    /// An administrator replaced the user's authenticator (`mfa enroll --force`).
    Replaced,
    /// New recovery codes were issued.
    RecoveryRegenerated,
    /// Too many failed codes locked the account.
    LockedByFailures,
    /// An administrator locked the account.
    LockedByAdmin,
    /// An administrator (or the lockout running out after a success) unlocked the account.
    Unlocked,
    /// An administrator exempted the user from MFA.
    Exempted,
    /// A recovery code was used to sign in.
    RecoveryCodeUsed,
    /// A device was remembered (no code asked there until it expires).
    DeviceRemembered,
    /// An administrator disabled the account.
    Disabled,
    /// An administrator enabled the account again.
    Enabled,
}

impl Notice {
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Notice::Reset => "mfa.reset",
            Notice::Enrolled => "mfa.enrolled",
            Notice::Replaced => "mfa.replaced",
            Notice::RecoveryRegenerated => "recovery.regenerated",
            Notice::LockedByFailures | Notice::LockedByAdmin => "account.locked",
            Notice::Unlocked => "account.unlocked",
            Notice::Exempted => "mfa.exempted",
            Notice::RecoveryCodeUsed => "recovery.used",
            Notice::DeviceRemembered => "device.remembered",
            Notice::Disabled => "account.disabled",
            Notice::Enabled => "account.enabled",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Notice::Reset => {
                "Your two-factor authentication was reset by an administrator. You will be asked to set it up again at your next sign-in. If you did not ask for this, contact your administrator."
            }
            Notice::Enrolled => {
                "An authenticator app was set up for your account. If this was not you, contact your administrator."
            }
            Notice::Replaced => {
                "Your authenticator app was replaced by an administrator; the old one, its recovery codes and remembered devices no longer work. If you did not ask for this, contact your administrator."
            }
            Notice::RecoveryRegenerated => {
                "New recovery codes were issued for your account; the old ones no longer work. If this was not you, contact your administrator."
            }
            Notice::LockedByFailures => {
                "Your account was locked after too many failed sign-in codes. If this was not you, contact your administrator."
            }
            Notice::LockedByAdmin => "Your account was locked by an administrator.",
            Notice::Unlocked => {
                "Your account was unlocked by an administrator. If you did not ask for this, contact your administrator."
            }
            Notice::Exempted => {
                "Your account was exempted from two-factor authentication by an administrator. If you did not ask for this, contact your administrator."
            }
            Notice::RecoveryCodeUsed => {
                "A recovery code was used to sign in to your account. If this was not you, contact your administrator."
            }
            Notice::DeviceRemembered => {
                "A device was remembered for your account and will not be asked for a code until it expires. If this was not you, contact your administrator."
            }
            Notice::Disabled => "Your account was disabled by an administrator.",
            Notice::Enabled => "Your account was enabled again by an administrator.",
        }
    }
}
