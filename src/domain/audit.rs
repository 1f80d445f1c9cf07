//! The audit actions: every kind of row the tool appends to the audit trail, named once.
//! The names are a public interface (`audit --action`, the `action` key of `audit --json`).

/// One kind of audit row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    StoreInit,
    StoreSample,
    UserAdd,
    UserImport,
    UserLock,
    UserUnlock,
    /// Too many failed codes locked the account.
    UserLockout,
    MfaEnroll,
    MfaConfirm,
    MfaVerify,
    MfaVerifyFailed,
    MfaReset,
    MfaExempt,
    MfaUnexempt,
    RecoveryUse,
    RecoveryCheckFailed,
    RecoveryRegenerate,
    DeviceRemember,
    DeviceRevoke,
    DevicePrune,
    PolicySet,
    KeyRotate,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::StoreInit => "store.init",
            Action::StoreSample => "store.sample",
            Action::UserAdd => "user.add",
            Action::UserImport => "user.import",
            Action::UserLock => "user.lock",
            Action::UserUnlock => "user.unlock",
            Action::UserLockout => "user.lockout",
            Action::MfaEnroll => "mfa.enroll",
            Action::MfaConfirm => "mfa.confirm",
            Action::MfaVerify => "mfa.verify",
            Action::MfaVerifyFailed => "mfa.verify.failed",
            Action::MfaReset => "mfa.reset",
            Action::MfaExempt => "mfa.exempt",
            Action::MfaUnexempt => "mfa.unexempt",
            Action::RecoveryUse => "recovery.use",
            Action::RecoveryCheckFailed => "recovery.check.failed",
            Action::RecoveryRegenerate => "recovery.regenerate",
            Action::DeviceRemember => "device.remember",
            Action::DeviceRevoke => "device.revoke",
            Action::DevicePrune => "device.prune",
            Action::PolicySet => "policy.set",
            Action::KeyRotate => "key.rotate",
        }
    }
}
