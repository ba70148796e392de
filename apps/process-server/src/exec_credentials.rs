//! The ids across `execve` (`EXECUTED`): the set-user-id and set-group-id rule and the saved
//! ids following the effective ones, decided here from what the caller's LibOS reports of the
//! file — which it cannot use to gain an id it could not take itself (`credentials`'
//! `Credentials::execute`, docs/process-server.md).

use crate::Server;
use crate::credentials::{outcome_word, set_id_request};

impl Server {
    /// Applies `EXECUTED`'s set-ID request (word 0's flags, word 2's `owner | group << 32`)
    /// to `caller`'s credentials. Answers the reply's word 2: `EXEC_HONOURED`,
    /// `EXEC_IDS_CHANGED`.
    pub(crate) fn exec_credentials(&mut self, caller: i32, words: [u64; 3]) -> u64 {
        let Some(environment) = self.table.get(caller).map(|process| process.environment) else {
            return 0;
        };
        outcome_word(
            self.identities
                .executed(caller, environment, set_id_request(words)),
        )
    }
}
