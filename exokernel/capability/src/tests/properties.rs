//! Property tests: random sequences of operations over a few spaces, checked after every step
//! against an independent model of the derivation tree, the mapped pages and the quota budgets.
//!
//! After each operation the harness checks that the audit passes (links, rights attenuation,
//! slot/node agreement, reference counts, per-quota conservation); that the model tree agrees
//! with the system's (so delete re-parents and revoke removes exactly the descendants); that a
//! failed operation changed nothing; that every object whose last capability went away was
//! reported unreferenced exactly once, after every unmap; that every page mapped through a
//! removed capability was reported exactly once; and that each root quota's budget equals what
//! remains plus everything charged below it. At the end every space is destroyed and nothing
//! may be left: no capability, no mapping record, no quota ledger entry.

use crate::{
    Badge, Capability, CapabilityHandle, CapabilitySystem, Charge, Frame, Mapping, Object,
    ObjectKind, PAGE_SIZE, QuotaId, Release, Releases, Rights, SlotAddress, SpaceId,
};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Spaces the operations address: three live ones and one whose id is stale.
const SPACES: usize = 4;
/// Slots per live space; slot numbers go one past it to exercise the range check.
const SLOTS: u64 = 8;
/// Address-space ids used for mappings.
const ADDRESS_SPACES: u32 = 3;

/// How an operation names a slot: mostly a slot likely to fit (so operations succeed often
/// enough to build deep trees), sometimes any slot at all (so every error path is taken).
#[derive(Debug, Clone, Copy)]
enum Address {
    /// Any slot, in any space (the last one stale), up to one past the end.
    Raw(usize, u64),
    /// The n-th occupied slot, modulo their number.
    Occupied(usize),
    /// The n-th slot holding a capability to an object of the kind, modulo their number.
    Holding(ObjectKind, usize),
    /// The n-th empty slot, modulo their number.
    Empty(usize),
}

fn raw() -> impl Strategy<Value = Address> {
    (0..SPACES, 0..=SLOTS).prop_map(|(space, slot)| Address::Raw(space, slot))
}

fn occupied() -> impl Strategy<Value = Address> {
    prop_oneof![1 => raw(), 4 => any::<usize>().prop_map(Address::Occupied)]
}

fn holding(kind: ObjectKind) -> impl Strategy<Value = Address> {
    prop_oneof![
        1 => raw(),
        4 => any::<usize>().prop_map(move |index| Address::Holding(kind, index)),
    ]
}

fn empty() -> impl Strategy<Value = Address> {
    prop_oneof![1 => raw(), 4 => any::<usize>().prop_map(Address::Empty)]
}

#[derive(Debug, Clone)]
enum Operation {
    InsertOriginal {
        destination: Address,
        kind: u8,
        rights: Rights,
    },
    CreateQuota {
        destination: Address,
        budget: u64,
        rights: Rights,
    },
    Copy {
        source: Address,
        destination: Address,
        mask: Rights,
    },
    Mint {
        source: Address,
        destination: Address,
        mask: Rights,
        badge: u64,
    },
    Move {
        source: Address,
        destination: Address,
    },
    Delete {
        slot: Address,
    },
    Revoke {
        slot: Address,
    },
    Charge {
        quota: Address,
        pages: u64,
    },
    SettleCharge {
        which: usize,
        destination: Address,
        mask: Rights,
        create: bool,
    },
    CreateFrame {
        quota: Address,
        destination: Address,
        pages: u64,
        mask: Rights,
    },
    SplitQuota {
        source: Address,
        destination: Address,
        pages: u64,
        mask: Rights,
    },
    RecordMapping {
        frame: Address,
        address_space: u32,
        page: u64,
        pages: u64,
    },
    ForgetMappings {
        address_space: u32,
        page: u64,
        pages: u64,
    },
    ForgetAddressSpace {
        address_space: u32,
    },
    DestroySpace {
        space: usize,
    },
}

/// Masks that keep everything half of the time, so capabilities go on being derivable.
fn mask() -> impl Strategy<Value = Rights> {
    prop_oneof![
        Just(Rights::all()),
        any::<u32>().prop_map(Rights::from_bits_truncate),
        any::<u32>().prop_map(|bits| Rights::from_bits_truncate(bits) | Rights::GRANT),
    ]
}

fn operation() -> impl Strategy<Value = Operation> {
    let quota = || holding(ObjectKind::MemoryQuota);
    prop_oneof![
        3 => (empty(), 0..4_u8, mask()).prop_map(|(destination, kind, rights)| {
            Operation::InsertOriginal { destination, kind, rights }
        }),
        1 => (empty(), 0..40_u64, mask()).prop_map(|(destination, budget, rights)| {
            Operation::CreateQuota { destination, budget, rights }
        }),
        6 => (occupied(), empty(), mask()).prop_map(|(source, destination, mask)| {
            Operation::Copy { source, destination, mask }
        }),
        3 => (occupied(), empty(), mask(), 0..3_u64).prop_map(
            |(source, destination, mask, badge)| Operation::Mint { source, destination, mask, badge }
        ),
        3 => (occupied(), empty())
            .prop_map(|(source, destination)| Operation::Move { source, destination }),
        3 => occupied().prop_map(|slot| Operation::Delete { slot }),
        2 => occupied().prop_map(|slot| Operation::Revoke { slot }),
        2 => (quota(), 0..6_u64).prop_map(|(quota, pages)| Operation::Charge { quota, pages }),
        2 => (0..4_usize, empty(), mask(), any::<bool>()).prop_map(
            |(which, destination, mask, create)| Operation::SettleCharge {
                which,
                destination,
                mask,
                create,
            }
        ),
        5 => (quota(), empty(), 0..6_u64, mask()).prop_map(
            |(quota, destination, pages, mask)| Operation::CreateFrame {
                quota,
                destination,
                pages,
                mask,
            }
        ),
        2 => (quota(), empty(), 0..12_u64, mask()).prop_map(
            |(source, destination, pages, mask)| Operation::SplitQuota {
                source,
                destination,
                pages,
                mask,
            }
        ),
        6 => (holding(ObjectKind::Frame), 0..ADDRESS_SPACES, 0..32_u64, 0..5_u64).prop_map(
            |(frame, address_space, page, pages)| Operation::RecordMapping {
                frame,
                address_space,
                page,
                pages,
            }
        ),
        1 => (0..ADDRESS_SPACES, 0..24_u64, 0..8_u64).prop_map(|(address_space, page, pages)| {
            Operation::ForgetMappings { address_space, page, pages }
        }),
        1 => (0..ADDRESS_SPACES).prop_map(|address_space| Operation::ForgetAddressSpace {
            address_space
        }),
        1 => (0..SPACES - 1).prop_map(|space| Operation::DestroySpace { space }),
    ]
}

/// What every live capability is and where, keyed by handle.
type Snapshot = BTreeMap<CapabilityHandle, (SlotAddress, Capability)>;

/// The system under test and the model it is checked against.
struct Harness {
    system: CapabilitySystem,
    spaces: [SpaceId; SPACES],
    next_id: u32,
    pending: Vec<Charge>,
    /// The derivation tree as the model expects it.
    parent: BTreeMap<CapabilityHandle, Option<CapabilityHandle>>,
    /// Which quota each quota was split from; every quota ever created.
    quota_parent: BTreeMap<QuotaId, Option<QuotaId>>,
    /// Every mapped page and the capability it was mapped through.
    pages: BTreeMap<(u32, u64), CapabilityHandle>,
}

fn fail(message: impl Into<proptest::test_runner::Reason>) -> TestCaseError {
    TestCaseError::fail(message)
}

impl Harness {
    fn new() -> Self {
        let mut system = CapabilitySystem::new();
        let spaces =
            [(); SPACES].map(|()| system.create_space(SLOTS).expect("the slot count is valid"));
        let _ = system.destroy_space(spaces[SPACES - 1]);
        // Every case starts with some memory to spend, as the kernel does at boot.
        let root = SlotAddress::new(spaces[0], 0);
        let quota = system
            .create_quota(root, 64, Rights::all())
            .expect("slot 0 is empty");
        let handle = system.handle(root).expect("just filled");
        Self {
            system,
            spaces,
            next_id: 0,
            pending: Vec::new(),
            parent: BTreeMap::from([(handle, None)]),
            quota_parent: BTreeMap::from([(quota, None)]),
            pages: BTreeMap::new(),
        }
    }

    /// Resolves an [`Address`] against the current state; call before mutating.
    fn at(&self, address: Address) -> SlotAddress {
        let all = || {
            self.spaces[..SPACES - 1]
                .iter()
                .flat_map(|space| (0..SLOTS).map(|slot| SlotAddress::new(*space, slot)))
        };
        let nth = |candidates: Vec<SlotAddress>, index: usize| {
            candidates
                .get(index % candidates.len().max(1))
                .copied()
                .unwrap_or(SlotAddress::new(self.spaces[0], 0))
        };
        match address {
            Address::Raw(space, slot) => SlotAddress::new(self.spaces[space], slot),
            Address::Occupied(index) => nth(
                all()
                    .filter(|slot| self.system.identify(*slot).is_ok())
                    .collect(),
                index,
            ),
            Address::Holding(kind, index) => nth(
                all()
                    .filter(|slot| {
                        self.system
                            .identify(*slot)
                            .is_ok_and(|capability| capability.object.kind() == kind)
                    })
                    .collect(),
                index,
            ),
            Address::Empty(index) => nth(
                all()
                    .filter(|slot| self.system.check_empty(*slot).is_ok())
                    .collect(),
                index,
            ),
        }
    }

    /// The same slot as a state-independent [`Address::Raw`], so that resolving it again after
    /// the operation has changed the state still names the slot the operation used.
    fn pin(&self, address: Address) -> Address {
        let slot = self.at(address);
        let space = self
            .spaces
            .iter()
            .position(|space| *space == slot.space)
            .unwrap_or(SPACES - 1);
        Address::Raw(space, slot.slot)
    }

    fn pinned(&self, operation: &Operation) -> Operation {
        let pin = |address| self.pin(address);
        let mut operation = operation.clone();
        match &mut operation {
            Operation::InsertOriginal { destination, .. }
            | Operation::CreateQuota { destination, .. }
            | Operation::SettleCharge { destination, .. } => *destination = pin(*destination),
            Operation::Copy {
                source,
                destination,
                ..
            }
            | Operation::Mint {
                source,
                destination,
                ..
            }
            | Operation::Move {
                source,
                destination,
            }
            | Operation::SplitQuota {
                source,
                destination,
                ..
            }
            | Operation::CreateFrame {
                quota: source,
                destination,
                ..
            } => {
                *source = pin(*source);
                *destination = pin(*destination);
            }
            Operation::Delete { slot }
            | Operation::Revoke { slot }
            | Operation::Charge { quota: slot, .. }
            | Operation::RecordMapping { frame: slot, .. } => *slot = pin(*slot),
            Operation::ForgetMappings { .. }
            | Operation::ForgetAddressSpace { .. }
            | Operation::DestroySpace { .. } => {}
        }
        operation
    }

    fn fresh_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new();
        for space in self.spaces {
            for slot in 0..=SLOTS {
                let address = SlotAddress::new(space, slot);
                if let (Ok(handle), Ok(capability)) =
                    (self.system.handle(address), self.system.identify(address))
                {
                    snapshot.insert(handle, (address, capability));
                }
            }
        }
        snapshot
    }

    fn quota_balances(&self) -> Vec<Option<crate::QuotaBalance>> {
        self.quota_parent
            .keys()
            .map(|quota| self.system.quota_balance(*quota))
            .collect()
    }

    fn handle_at(&self, snapshot: &Snapshot, address: SlotAddress) -> Option<CapabilityHandle> {
        snapshot
            .iter()
            .find(|(_, (location, _))| *location == address)
            .map(|(handle, _)| *handle)
    }

    /// The model's view of removing `removed`: survivors hang from their nearest surviving
    /// ancestor.
    fn model_remove(&mut self, removed: &BTreeSet<CapabilityHandle>) {
        let old = self.parent.clone();
        for handle in removed {
            self.parent.remove(handle);
        }
        for (handle, parent) in &mut self.parent {
            let mut ancestor = old.get(handle).copied().flatten();
            while let Some(current) = ancestor
                && removed.contains(&current)
            {
                ancestor = old.get(&current).copied().flatten();
            }
            *parent = ancestor;
        }
    }

    fn model_descendants(&self, root: CapabilityHandle) -> BTreeSet<CapabilityHandle> {
        let mut found = BTreeSet::new();
        let mut frontier = alloc::vec![root];
        while let Some(current) = frontier.pop() {
            for (child, parent) in &self.parent {
                if *parent == Some(current) && found.insert(*child) {
                    frontier.push(*child);
                }
            }
        }
        found
    }

    fn step(&mut self, operation: &Operation) -> Result<(), TestCaseError> {
        let before = self.snapshot();
        let balances_before = self.quota_balances();
        let records_before: Vec<(Mapping, usize)> = self.system.mappings.iter().collect();
        let mut releases: Option<Releases> = None;
        let mut expect_unchanged_on_failure = true;
        let pinned = self.pinned(operation);
        let succeeded = match pinned {
            Operation::InsertOriginal {
                destination,
                kind,
                rights,
            } => {
                let id = self.fresh_id();
                let object = match kind {
                    0 => Object::Endpoint(id),
                    1 => Object::Notification(id),
                    2 => Object::Environment(id),
                    _ => Object::Frame(Frame {
                        physical_address: u64::from(id) << 32,
                        page_count: 4,
                        quota: None,
                    }),
                };
                let result = self
                    .system
                    .insert_original(self.at(destination), object, rights);
                if let Ok(handle) = result {
                    self.parent.insert(handle, None);
                }
                result.is_ok()
            }
            Operation::CreateQuota {
                destination,
                budget,
                rights,
            } => {
                let result = self
                    .system
                    .create_quota(self.at(destination), budget, rights);
                if let Ok(quota) = result {
                    let handle = self
                        .system
                        .handle(self.at(destination))
                        .map_err(|error| fail(format!("{error}")))?;
                    self.parent.insert(handle, None);
                    self.quota_parent.insert(quota, None);
                }
                result.is_ok()
            }
            Operation::Copy {
                source,
                destination,
                mask,
            } => {
                let result = self
                    .system
                    .copy(self.at(source), self.at(destination), mask);
                if let Ok(handle) = result {
                    self.derived(&before, source, handle, mask, None)?;
                }
                result.is_ok()
            }
            Operation::Mint {
                source,
                destination,
                mask,
                badge,
            } => {
                let badge = Badge::new(badge);
                let result = self
                    .system
                    .mint(self.at(source), self.at(destination), mask, badge);
                if let Ok(handle) = result {
                    self.derived(&before, source, handle, mask, badge)?;
                }
                result.is_ok()
            }
            Operation::Move {
                source,
                destination,
            } => {
                let result = self
                    .system
                    .move_capability(self.at(source), self.at(destination));
                if result.is_ok() {
                    let handle = self
                        .handle_at(&before, self.at(source))
                        .ok_or_else(|| fail("moved from an empty slot"))?;
                    prop_assert_eq!(self.system.location(handle), Some(self.at(destination)));
                    let granted = before
                        .get(&handle)
                        .is_some_and(|(_, capability)| capability.rights.contains(Rights::GRANT));
                    prop_assert!(
                        granted || self.at(source).space == self.at(destination).space,
                        "moved to another space without GRANT"
                    );
                }
                result.is_ok()
            }
            Operation::Delete { slot } => {
                let target = self.handle_at(&before, self.at(slot));
                let result = self.system.delete(self.at(slot));
                if let Some(target) = target
                    && result.is_ok()
                {
                    self.model_remove(&BTreeSet::from([target]));
                }
                let succeeded = result.is_ok();
                releases = result.ok();
                succeeded
            }
            Operation::Revoke { slot } => {
                let target = self.handle_at(&before, self.at(slot));
                let descendants = target
                    .map(|target| self.model_descendants(target))
                    .unwrap_or_default();
                let result = self.system.revoke(self.at(slot));
                if result.is_ok() {
                    let after = self.snapshot();
                    for handle in before.keys() {
                        let alive = after.get(handle).map(|(location, _)| *location);
                        if descendants.contains(handle) {
                            prop_assert_eq!(alive, None, "a descendant survived revoke");
                        } else {
                            prop_assert_eq!(
                                alive,
                                before.get(handle).map(|(location, _)| *location),
                                "revoke lost or moved a non-descendant"
                            );
                        }
                    }
                    self.model_remove(&descendants);
                }
                let succeeded = result.is_ok();
                releases = result.ok();
                succeeded
            }
            Operation::Charge { quota, pages } => match self.system.charge(self.at(quota), pages) {
                Ok(charge) => {
                    self.pending.push(charge);
                    true
                }
                Err(_) => false,
            },
            Operation::SettleCharge {
                which,
                destination,
                mask,
                create,
            } => {
                if self.pending.is_empty() {
                    false
                } else {
                    expect_unchanged_on_failure = false;
                    let charge = self.pending.remove(which % self.pending.len());
                    if create {
                        let parent = charge.capability;
                        let quota_rights = self.system.capability(parent).map(|c| c.rights);
                        let address = (u64::from(self.fresh_id()) << 32) | 0x1000;
                        let result =
                            self.system
                                .create_frame(charge, self.at(destination), address, mask);
                        if let Ok(handle) = result {
                            self.frame_created(handle, parent, quota_rights, mask)?;
                        }
                        result.is_ok()
                    } else {
                        self.system.refund(charge);
                        true
                    }
                }
            }
            Operation::CreateFrame {
                quota,
                destination,
                pages,
                mask,
            } => match self.system.charge(self.at(quota), pages) {
                Ok(charge) => {
                    expect_unchanged_on_failure = false;
                    let parent = charge.capability;
                    let quota_rights = self.system.capability(parent).map(|c| c.rights);
                    let address = (u64::from(self.fresh_id()) << 32) | 0x2000;
                    let result =
                        self.system
                            .create_frame(charge, self.at(destination), address, mask);
                    if let Ok(handle) = result {
                        self.frame_created(handle, parent, quota_rights, mask)?;
                    }
                    result.is_ok()
                }
                Err(_) => false,
            },
            Operation::SplitQuota {
                source,
                destination,
                pages,
                mask,
            } => {
                let result =
                    self.system
                        .split_quota(self.at(source), self.at(destination), pages, mask);
                if let Ok(quota) = result {
                    let parent = self
                        .handle_at(&before, self.at(source))
                        .ok_or_else(|| fail("split from an empty slot"))?;
                    let handle = self
                        .system
                        .handle(self.at(destination))
                        .map_err(|error| fail(format!("{error}")))?;
                    let Some((_, source_capability)) = before.get(&parent) else {
                        return Err(fail("no source capability"));
                    };
                    let Object::MemoryQuota(source_quota) = source_capability.object else {
                        return Err(fail("split from a non-quota"));
                    };
                    prop_assert_eq!(
                        self.system.identify(self.at(destination)).map(|c| c.rights),
                        Ok(source_capability.rights & mask)
                    );
                    self.parent.insert(handle, Some(parent));
                    self.quota_parent.insert(quota, Some(source_quota));
                }
                result.is_ok()
            }
            Operation::RecordMapping {
                frame,
                address_space,
                page,
                pages,
            } => {
                let mapping = Mapping {
                    address_space,
                    virtual_address: page * PAGE_SIZE,
                    page_count: pages,
                };
                let result = self.system.record_mapping(self.at(frame), mapping);
                if result.is_ok() {
                    let handle = self
                        .handle_at(&before, self.at(frame))
                        .ok_or_else(|| fail("mapped through an empty slot"))?;
                    for mapped in page..page + pages {
                        let previous = self.pages.insert((address_space, mapped), handle);
                        prop_assert_eq!(previous, None, "an overlapping mapping was recorded");
                    }
                }
                result.is_ok()
            }
            Operation::ForgetMappings {
                address_space,
                page,
                pages,
            } => {
                let range = Mapping {
                    address_space,
                    virtual_address: page * PAGE_SIZE,
                    page_count: pages,
                };
                match self.system.forget_mappings(range) {
                    Ok(removed) => {
                        let mut reported = BTreeSet::new();
                        for piece in removed {
                            let first = piece.virtual_address / PAGE_SIZE;
                            for mapped in first..first + piece.page_count {
                                prop_assert!(reported.insert((piece.address_space, mapped)));
                            }
                        }
                        let expected: BTreeSet<(u32, u64)> = (page..page + pages)
                            .map(|mapped| (address_space, mapped))
                            .filter(|key| self.pages.contains_key(key))
                            .collect();
                        prop_assert_eq!(&reported, &expected);
                        for key in expected {
                            self.pages.remove(&key);
                        }
                        true
                    }
                    Err(_) => false,
                }
            }
            Operation::ForgetAddressSpace { address_space } => {
                let _ = self.system.forget_address_space(address_space);
                self.pages.retain(|(space, _), _| *space != address_space);
                true
            }
            Operation::DestroySpace { space } => {
                let removed: BTreeSet<CapabilityHandle> = before
                    .iter()
                    .filter(|(_, (location, _))| location.space == self.spaces[space])
                    .map(|(handle, _)| *handle)
                    .collect();
                let result = self.system.destroy_space(self.spaces[space]);
                if result.is_ok() {
                    self.model_remove(&removed);
                    self.spaces[SPACES - 1] = self.spaces[space];
                    self.spaces[space] = self
                        .system
                        .create_space(SLOTS)
                        .map_err(|error| fail(format!("{error}")))?;
                }
                let succeeded = result.is_ok();
                releases = result.ok();
                succeeded
            }
        };

        self.system
            .audit()
            .map_err(|error| fail(format!("audit after {operation:?}: {error}")))?;
        let after = self.snapshot();
        if !succeeded && expect_unchanged_on_failure {
            prop_assert_eq!(&before, &after, "a failed operation changed capabilities");
            prop_assert_eq!(&balances_before, &self.quota_balances());
            let records_after: Vec<(Mapping, usize)> = self.system.mappings.iter().collect();
            prop_assert_eq!(&records_before, &records_after);
        }
        self.check_releases(releases.as_ref(), &before, &after)?;
        self.check_model(&after)
    }

    /// Model bookkeeping and checks for a successful copy or mint.
    fn derived(
        &mut self,
        before: &Snapshot,
        source: Address,
        handle: CapabilityHandle,
        mask: Rights,
        badge: Option<Badge>,
    ) -> Result<(), TestCaseError> {
        let parent = self
            .handle_at(before, self.at(source))
            .ok_or_else(|| fail("derived from an empty slot"))?;
        let Some((_, source_capability)) = before.get(&parent) else {
            return Err(fail("no source capability"));
        };
        prop_assert!(source_capability.rights.contains(Rights::GRANT));
        let expected = Capability {
            object: source_capability.object,
            rights: source_capability.rights & mask,
            badge: badge.or(source_capability.badge),
        };
        prop_assert_eq!(self.system.capability(handle), Some(&expected));
        self.parent.insert(handle, Some(parent));
        Ok(())
    }

    /// Model bookkeeping and checks for a successful frame creation.
    fn frame_created(
        &mut self,
        handle: CapabilityHandle,
        parent: CapabilityHandle,
        quota_rights: Option<Rights>,
        mask: Rights,
    ) -> Result<(), TestCaseError> {
        let rights = quota_rights.ok_or_else(|| fail("frame from a dead quota"))?;
        prop_assert_eq!(
            self.system.capability(handle).map(|c| c.rights),
            Some(rights & mask)
        );
        self.parent.insert(handle, Some(parent));
        Ok(())
    }

    fn check_releases(
        &mut self,
        releases: Option<&Releases>,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Result<(), TestCaseError> {
        let count = |snapshot: &Snapshot| {
            let mut counts: BTreeMap<Object, usize> = BTreeMap::new();
            for (_, capability) in snapshot.values() {
                *counts.entry(capability.object).or_insert(0) += 1;
            }
            counts
        };
        let (counts_before, counts_after) = (count(before), count(after));
        let died: BTreeSet<Object> = counts_before
            .keys()
            .filter(|object| !counts_after.contains_key(object))
            .copied()
            .collect();
        let mut reported = BTreeSet::new();
        let mut seen_unreferenced = false;
        for release in releases.map(Releases::as_slice).unwrap_or_default() {
            match release {
                Release::Unmap(mapping) => {
                    prop_assert!(
                        !seen_unreferenced,
                        "an unmap came after an unreferenced object"
                    );
                    let first = mapping.virtual_address / PAGE_SIZE;
                    let mut through = None;
                    for page in first..first + mapping.page_count {
                        let handle = self
                            .pages
                            .remove(&(mapping.address_space, page))
                            .ok_or_else(|| {
                                fail(format!("unmap of an unrecorded page {mapping:?}"))
                            })?;
                        prop_assert!(!after.contains_key(&handle), "unmap of a live capability");
                        prop_assert!(through.is_none_or(|through| through == handle));
                        through = Some(handle);
                    }
                }
                Release::ObjectUnreferenced(object) => {
                    seen_unreferenced = true;
                    prop_assert!(reported.insert(*object), "object reported twice");
                }
            }
        }
        prop_assert_eq!(reported, died);
        Ok(())
    }

    fn check_model(&self, after: &Snapshot) -> Result<(), TestCaseError> {
        let live: BTreeSet<CapabilityHandle> = after.keys().copied().collect();
        let modelled: BTreeSet<CapabilityHandle> = self.parent.keys().copied().collect();
        prop_assert_eq!(&live, &modelled);
        for (handle, expected) in &self.parent {
            let actual = self
                .system
                .tree
                .nodes
                .get(handle.0)
                .and_then(|node| node.parent)
                .and_then(|index| self.system.handle_of(index));
            prop_assert_eq!(
                actual,
                *expected,
                "the derivation tree differs from the model"
            );
            if let Some(parent) = expected
                && let (Some((_, child)), Some((_, parent))) =
                    (after.get(handle), after.get(parent))
            {
                prop_assert!(parent.rights.contains(child.rights));
            }
        }
        for (&(address_space, page), handle) in &self.pages {
            prop_assert!(
                live.contains(handle),
                "a mapping of a dead capability was not reported"
            );
            let found = self
                .system
                .find_mapping(address_space, page * PAGE_SIZE)
                .map(|(_, capability)| capability);
            prop_assert_eq!(found, Some(*handle));
        }
        self.check_root_budgets(after)
    }

    /// For each live root quota: budget == remaining in its tree + live frames + pending charges.
    fn check_root_budgets(&self, after: &Snapshot) -> Result<(), TestCaseError> {
        let root_of = |quota: QuotaId| {
            let mut current = quota;
            while let Some(Some(parent)) = self.quota_parent.get(&current) {
                current = *parent;
            }
            current
        };
        let mut accounted: BTreeMap<QuotaId, u64> = BTreeMap::new();
        let frames: BTreeSet<Frame> = after
            .values()
            .filter_map(|(_, capability)| match capability.object {
                Object::Frame(frame) => Some(frame),
                _ => None,
            })
            .collect();
        for frame in frames {
            if let Some(quota) = frame.quota {
                *accounted.entry(root_of(quota)).or_insert(0) += frame.page_count;
            }
        }
        for charge in &self.pending {
            *accounted.entry(root_of(charge.quota)).or_insert(0) += charge.page_count;
        }
        for quota in self.quota_parent.keys() {
            if let Some(balance) = self.system.quota_balance(*quota) {
                *accounted.entry(root_of(*quota)).or_insert(0) += balance.remaining;
            }
        }
        for (quota, parent) in &self.quota_parent {
            if parent.is_none()
                && let Some(balance) = self.system.quota_balance(*quota)
            {
                prop_assert_eq!(
                    accounted.get(quota).copied().unwrap_or(0),
                    balance.budget,
                    "a root quota's budget is not conserved"
                );
            }
        }
        Ok(())
    }

    /// Tears everything down; nothing may be left behind.
    fn finish(mut self) -> Result<(), TestCaseError> {
        for charge in core::mem::take(&mut self.pending) {
            self.system.refund(charge);
        }
        for space in 0..SPACES - 1 {
            let before = self.snapshot();
            let removed: BTreeSet<CapabilityHandle> = before
                .iter()
                .filter(|(_, (location, _))| location.space == self.spaces[space])
                .map(|(handle, _)| *handle)
                .collect();
            let releases = self
                .system
                .destroy_space(self.spaces[space])
                .map_err(|error| fail(format!("{error}")))?;
            self.model_remove(&removed);
            let after = self.snapshot();
            self.check_releases(Some(&releases), &before, &after)?;
        }
        self.system
            .audit()
            .map_err(|error| fail(format!("audit at the end: {error}")))?;
        prop_assert_eq!(self.system.tree.nodes.len(), 0);
        prop_assert!(self.system.references.is_empty());
        prop_assert_eq!(self.system.mappings.iter().count(), 0);
        prop_assert!(self.pages.is_empty(), "recorded pages were never reported");
        prop_assert_eq!(
            self.system.quotas.quotas.len(),
            0,
            "a quota was never repaid"
        );
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(320))]

    #[test]
    fn random_operation_sequences_keep_every_invariant(
        operations in proptest::collection::vec(operation(), 1..100)
    ) {
        let mut harness = Harness::new();
        for operation in &operations {
            harness.step(operation)?;
        }
        harness.finish()?;
    }
}
