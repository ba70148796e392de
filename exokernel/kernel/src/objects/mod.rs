//! The kernel objects capabilities name: environments, address spaces, endpoints and
//! notifications, each in its own table indexed by the id the capability system stores.

pub mod address_space;
pub mod channel;
pub mod endpoint;
pub mod environment;
pub mod notification;
pub mod table;
pub mod timer;
