//! The derivation tree: which capability each capability was derived from, so revoke can find
//! everything that descends from one.
//!
//! Every live capability is one node. A node's children are the capabilities copied or minted from
//! it, the frames and quotas created from it (for a memory quota), in a doubly linked sibling list
//! so that unlinking one is O(1). Originals are roots. Links are plain indices, kept consistent by
//! the operations here; only handles given out of the crate carry a generation.

use crate::arena::{Arena, ArenaHandle};
use crate::capability::Capability;
use crate::space::SlotAddress;
use alloc::vec::Vec;

/// A reference to one capability that stays valid while the capability lives, wherever it is
/// moved, and detects its deletion (a new capability in the same node gets a new generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CapabilityHandle(pub(crate) ArenaHandle);

/// One capability and its place in the slots and in the tree.
pub(crate) struct Node {
    pub(crate) capability: Capability,
    pub(crate) location: SlotAddress,
    pub(crate) parent: Option<usize>,
    pub(crate) first_child: Option<usize>,
    pub(crate) next_sibling: Option<usize>,
    pub(crate) previous_sibling: Option<usize>,
}

/// The arena of nodes and the operations that keep its links consistent.
pub(crate) struct DerivationTree {
    pub(crate) nodes: Arena<Node>,
}

impl DerivationTree {
    pub(crate) const fn new() -> Self {
        Self {
            nodes: Arena::new(),
        }
    }

    /// Adds a node for `capability` at `location`, as a child of `parent` (or as a root).
    pub(crate) fn add(
        &mut self,
        capability: Capability,
        location: SlotAddress,
        parent: Option<usize>,
    ) -> usize {
        let index = self
            .nodes
            .insert(Node {
                capability,
                location,
                parent: None,
                first_child: None,
                next_sibling: None,
                previous_sibling: None,
            })
            .index();
        if let Some(parent) = parent {
            self.attach(index, parent);
        }
        index
    }

    /// Unlinks the node from everything and frees it; its children move up to its parent (or
    /// become roots), keeping their place under every ancestor so a later revoke of an ancestor
    /// still reaches them.
    pub(crate) fn remove(&mut self, index: usize) -> Option<Node> {
        let parent = self.nodes.at(index)?.parent;
        while let Some(child) = self.nodes.at(index).and_then(|node| node.first_child) {
            self.detach(child);
            if let Some(parent) = parent {
                self.attach(child, parent);
            }
        }
        self.detach(index);
        let handle = self.nodes.handle_at(index)?;
        self.nodes.remove(handle)
    }

    /// Every node below `index`, parents before their children.
    pub(crate) fn descendants(&self, index: usize) -> Vec<usize> {
        let mut found = Vec::new();
        let mut next = self.nodes.at(index).and_then(|node| node.first_child);
        let mut stack = Vec::new();
        loop {
            while let Some(current) = next {
                found.push(current);
                let Some(node) = self.nodes.at(current) else {
                    break;
                };
                if let Some(sibling) = node.next_sibling {
                    stack.push(sibling);
                }
                next = node.first_child;
            }
            match stack.pop() {
                Some(sibling) => next = Some(sibling),
                None => return found,
            }
        }
    }

    /// Moves `child` from its parent to `new_parent` (its grandparent), or makes it a root: what
    /// removing its parent does to it, done ahead of time.
    pub(crate) fn move_child_up(&mut self, child: usize, new_parent: Option<usize>) {
        self.detach(child);
        if let Some(parent) = new_parent {
            self.attach(child, parent);
        }
    }

    /// Links a root (a node without parent or siblings) in as the first child of `parent`.
    fn attach(&mut self, child: usize, parent: usize) {
        let Some(parent_node) = self.nodes.at_mut(parent) else {
            return;
        };
        let old_first = parent_node.first_child.replace(child);
        if let Some(old_first) = old_first
            && let Some(old_first_node) = self.nodes.at_mut(old_first)
        {
            old_first_node.previous_sibling = Some(child);
        }
        if let Some(child_node) = self.nodes.at_mut(child) {
            child_node.parent = Some(parent);
            child_node.previous_sibling = None;
            child_node.next_sibling = old_first;
        }
    }

    /// Unlinks a node from its parent and siblings, leaving it a root with its children intact.
    fn detach(&mut self, index: usize) {
        let Some(node) = self.nodes.at_mut(index) else {
            return;
        };
        let parent = node.parent.take();
        let previous = node.previous_sibling.take();
        let next = node.next_sibling.take();
        match previous {
            Some(previous) => {
                if let Some(previous_node) = self.nodes.at_mut(previous) {
                    previous_node.next_sibling = next;
                }
            }
            None => {
                if let Some(parent) = parent
                    && let Some(parent_node) = self.nodes.at_mut(parent)
                {
                    parent_node.first_child = next;
                }
            }
        }
        if let Some(next) = next
            && let Some(next_node) = self.nodes.at_mut(next)
        {
            next_node.previous_sibling = previous;
        }
    }
}
