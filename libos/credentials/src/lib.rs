//! POSIX credentials and resource limits as pure rules: who may change which id, who may signal
//! whom, who may raise which limit. The process server (`apps/process-server`) applies them as
//! the authority; this crate holds no state of its own and touches no hardware, so `cargo test`
//! checks every rule on the host.
#![no_std]

pub mod limits;
pub mod user_ids;

pub use limits::{Limit, LimitError, Limits};
pub use user_ids::{
    Credentials, ExecOutcome, IdChange, IdError, IdTriple, SetIdRequest, may_signal,
};
