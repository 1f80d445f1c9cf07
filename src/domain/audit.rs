//! The audit actions: every kind of row the tool appends to the audit trail, named once.
//! The names are a public interface (`audit --action`, the `action` key of `audit --json`).

/// One kind of audit row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    StoreInit,
    StoreSample,
    /// The store's schema was migrated forward (`init` on an older store).
    StoreMigrate,
    StoreBackup,
    UserAdd,
    /// `user edit`: display name or email corrected.
    UserEdit,
    /// `user delete`: the row keeps the user name of a user no longer in the store.
    UserDelete,
    UserImport,
    UserLock,
    UserUnlock,
    /// Too many failed codes locked the account.
    UserLockout,
    UserDisable,
    UserEnable,
    MfaEnroll,
    MfaConfirm,
    MfaConfirmFailed,
    MfaVerify,
    MfaVerifyFailed,
    MfaReset,
    MfaExempt,
    MfaUnexempt,
    RecoveryUse,
    RecoveryCheckFailed,
    RecoveryRegenerate,
    DeviceRemember,
    DeviceCheck,
    DeviceCheckFailed,
    DeviceRevoke,
    DevicePrune,
    PolicySet,
    KeyRotate,
    NotifyAck,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::StoreInit => "store.init",
            Action::StoreSample => "store.sample",
            Action::StoreMigrate => "store.migrate",
            Action::StoreBackup => "store.backup",
            Action::UserAdd => "user.add",
            Action::UserEdit => "user.edit",
            Action::UserDelete => "user.delete",
            Action::UserImport => "user.import",
            Action::UserLock => "user.lock",
            Action::UserUnlock => "user.unlock",
            Action::UserLockout => "user.lockout",
            Action::UserDisable => "user.disable",
            Action::UserEnable => "user.enable",
            Action::MfaEnroll => "mfa.enroll",
            Action::MfaConfirm => "mfa.confirm",
            Action::MfaConfirmFailed => "mfa.confirm.failed",
            Action::MfaVerify => "mfa.verify",
            Action::MfaVerifyFailed => "mfa.verify.failed",
            Action::MfaReset => "mfa.reset",
            Action::MfaExempt => "mfa.exempt",
            Action::MfaUnexempt => "mfa.unexempt",
            Action::RecoveryUse => "recovery.use",
            Action::RecoveryCheckFailed => "recovery.check.failed",
            Action::RecoveryRegenerate => "recovery.regenerate",
            Action::DeviceRemember => "device.remember",
            Action::DeviceCheck => "device.check",
            Action::DeviceCheckFailed => "device.check.failed",
            Action::DeviceRevoke => "device.revoke",
            Action::DevicePrune => "device.prune",
            Action::PolicySet => "policy.set",
            Action::KeyRotate => "key.rotate",
            Action::NotifyAck => "notify.ack",
        }
    }
}
