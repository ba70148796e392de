//! Every attack, as a named check.

pub mod console;
pub mod cycles;
pub mod destruction;
pub mod exceptions;
pub mod exit_watch;
pub mod flags;
pub mod frame_copy;
pub mod heap;
pub mod random;
pub mod smaller;
pub mod work;

use libos::abi::{Call, initial};
use libos::kernel::call;

use crate::support::Outcome;

/// One attack.
#[derive(Clone, Copy)]
pub struct Check {
    /// Its name in the protocol and for `only`.
    pub name: &'static str,
    /// The attack; `Err` says how the kernel failed.
    pub run: fn() -> Outcome,
}

/// Every check, in the order the default run makes them.
pub const ALL: &[Check] = &[
    Check {
        name: "rflags-nested-task-at-entry",
        run: flags::nested_task_flag,
    },
    Check {
        name: "rflags-alignment-check-at-entry",
        run: flags::alignment_check_flag,
    },
    Check {
        name: "rflags-direction-at-entry",
        run: flags::direction_flag,
    },
    Check {
        name: "rflags-privileged-bits-at-entry",
        run: flags::privileged_flag_bits,
    },
    Check {
        name: "rflags-trap-at-entry",
        run: flags::trap_flag,
    },
    Check {
        name: "random-flags-and-registers-at-entry",
        run: flags::random_flags_and_registers,
    },
    Check {
        name: "installed-rflags-sanitised",
        run: flags::installed_flags_are_sanitised,
    },
    Check {
        name: "installed-addresses-checked",
        run: flags::installed_addresses_are_checked,
    },
    Check {
        name: "syscall-from-top-of-user-space",
        run: flags::syscall_from_top_of_user_space,
    },
    Check {
        name: "exception-resume-hostile-frame",
        run: exceptions::exception_resume_hostile_frame,
    },
    Check {
        name: "exception-stack-near-zero-or-unmapped",
        run: exceptions::exception_stack_near_zero_or_unmapped,
    },
    Check {
        name: "page-zero-never-mapped",
        run: smaller::page_zero_is_never_mapped,
    },
    Check {
        name: "environment-map-batch-hostile",
        run: smaller::environment_map_batch_hostile,
    },
    Check {
        name: "frame-copy-and-mapping-list-hostile",
        run: smaller::frame_copy_and_mapping_list_hostile,
    },
    Check {
        name: "environment-frame-copy-hostile",
        run: frame_copy::environment_frame_copy_hostile,
    },
    Check {
        name: "frame-copy-reuses-only-what-nobody-else-reaches",
        run: frame_copy::frame_copy_reuses_only_what_nobody_else_reaches,
    },
    Check {
        name: "frame-copy-of-many-pages-hostile",
        run: frame_copy::frame_copy_of_many_pages_hostile,
    },
    Check {
        name: "stale-reference-after-id-reuse",
        run: smaller::reused_id_is_not_reached_by_stale_reference,
    },
    Check {
        name: "stale-reply-after-id-reuse",
        run: smaller::reused_id_is_not_reached_by_stale_reply,
    },
    Check {
        name: "ipc-call-to-dying-server",
        run: smaller::ipc_call_to_dying_server,
    },
    Check {
        name: "receive-on-deleted-endpoint",
        run: smaller::receive_on_deleted_endpoint,
    },
    Check {
        name: "transfer-without-grant-refused",
        run: smaller::transfer_without_grant_is_refused,
    },
    Check {
        name: "rights-never-grow",
        run: smaller::rights_never_grow,
    },
    Check {
        name: "child-cannot-silence-parent-watcher",
        run: exit_watch::child_cannot_silence_parent_watcher,
    },
    Check {
        name: "several-watchers-fire-with-badges",
        run: exit_watch::several_watchers_fire_with_badges,
    },
    Check {
        name: "spawned-child-exit-reaches-parent",
        run: exit_watch::spawned_child_exit_reaches_parent,
    },
    Check {
        name: "deep-copy-chain-revoked",
        run: destruction::deep_copy_chain,
    },
    Check {
        name: "wide-derivation-tree-revoked",
        run: destruction::wide_derivation_tree,
    },
    Check {
        name: "deep-quota-chain-revoked",
        run: destruction::deep_quota_chain,
    },
    Check {
        name: "deep-environment-chain-deleted",
        run: destruction::deep_environment_chain,
    },
    Check {
        name: "heap-many-mappings-of-one-frame",
        run: heap::many_mappings_of_one_frame,
    },
    Check {
        name: "heap-slots-filled-with-copies",
        run: heap::capability_slots_filled_with_copies,
    },
    Check {
        name: "heap-objects-of-every-kind",
        run: heap::objects_of_every_kind,
    },
    Check {
        name: "heap-long-ipc-wait-queues",
        run: heap::long_ipc_wait_queues,
    },
    Check {
        name: "heap-notification-and-futex-waiters",
        run: heap::many_notification_and_futex_waiters,
    },
    Check {
        name: "bounded-protect-batch",
        run: work::huge_protect_batch,
    },
    Check {
        name: "bounded-console-write",
        run: work::console_write_64_kibibytes,
    },
    Check {
        name: "bounded-largest-frame-allocate",
        run: work::largest_frame_allocate,
    },
    Check {
        name: "bounded-widely-mapped-frame-revoke",
        run: work::revoke_widely_mapped_frame,
    },
    Check {
        name: "quota-revoke-reclaims-objects",
        run: cycles::quota_revoke_reclaims_objects,
    },
    Check {
        name: "self-granted-environment-reclaimed",
        run: cycles::self_granted_environment_is_reclaimed,
    },
    Check {
        name: "spinning-self-granted-environment-stops",
        run: cycles::spinning_self_granted_environment_stops,
    },
    Check {
        name: "channel-derive-refused-and-reclaimed",
        run: cycles::channel_derive_refused_and_reclaimed,
    },
    Check {
        name: "console-read-refused-without-read",
        run: console::console_read_refused_without_read,
    },
    Check {
        name: "kernel-log-read-hostile-buffers",
        run: console::kernel_log_read_hostile_buffers,
    },
    Check {
        name: "random-calls-random-registers",
        run: random::random_calls_default,
    },
];

/// After every check: the kernel still answers, and our own quota still works.
pub fn kernel_still_works() -> Outcome {
    call(Call::ClockRead {})
        .map_err(|error| alloc::format!("the kernel stopped answering: {error:?}"))?;
    call(Call::MemoryStatus {
        quota: initial::MEMORY_QUOTA,
    })
    .map(|_| ())
    .map_err(|error| alloc::format!("MemoryStatus after the check: {error:?}"))
}
