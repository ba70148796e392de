//! Move: relocating a capability to another slot, possibly in another space, keeping its place in
//! the derivation tree and its mappings.

use crate::Rights;
use crate::lookup::LookupError;
use crate::space::{DestinationError, SlotAddress};
use crate::system::CapabilitySystem;
use core::fmt;

/// Why a capability could not be moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveError {
    /// The source slot holds no capability, or (for a move to another space) one without
    /// [`Rights::GRANT`].
    Source(LookupError),
    /// The destination slot cannot take a capability (moving onto itself included: it is
    /// occupied).
    Destination(DestinationError),
}

impl fmt::Display for MoveError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Source(error) => write!(formatter, "source: {error}"),
            Self::Destination(error) => error.fmt(formatter),
        }
    }
}

impl core::error::Error for MoveError {}

impl CapabilitySystem {
    /// Moves the capability in `source` to `destination`, leaving `source` empty.
    ///
    /// Moving within one space needs no right; moving into another space passes the authority
    /// on, so it needs [`Rights::GRANT`] like a copy does.
    ///
    /// # Errors
    ///
    /// [`MoveError::Source`] if the source is unusable or (across spaces) lacks
    /// [`Rights::GRANT`], [`MoveError::Destination`] if the destination is unusable.
    pub fn move_capability(
        &mut self,
        source: SlotAddress,
        destination: SlotAddress,
    ) -> Result<(), MoveError> {
        let required = if source.space == destination.space {
            Rights::empty()
        } else {
            Rights::GRANT
        };
        let (index, _) = self
            .lookup_node(source, None, required)
            .map_err(MoveError::Source)?;
        self.check_empty(destination)
            .map_err(MoveError::Destination)?;
        self.set_slot(source, None);
        self.set_slot(destination, Some(index));
        if let Some(node) = self.tree.nodes.at_mut(index) {
            node.location = destination;
        }
        Ok(())
    }
}
