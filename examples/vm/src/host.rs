//! The host API: native functions get their arguments as root-table
//! tickets (handles), never as raw pointers, and may keep values pinned
//! across calls.

use rudo_gc::roots::{RootTable, RootTicket};

use crate::error::VmError;
use crate::heap::Heap;
use crate::value::Value;

/// A native function: arguments as tickets of the host's root table, which stay
/// pinned for the call; returns the call's result.
pub type Native<H> = fn(&mut Host<H>, &[RootTicket]) -> Result<Value<H>, VmError>;

/// What native functions see of the VM.
pub struct Host<H: Heap> {
    roots: RootTable<Value<H>>,
    /// Tickets `keep` handed out, by handle (never removed: a released
    /// handle's ticket is stale, and stays so).
    kept: Vec<RootTicket>,
    /// Integers natives reported (for tests and examples).
    pub output: Vec<i64>,
}

impl<H: Heap> core::fmt::Debug for Host<H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Host")
            .field("pinned", &self.roots.len())
            .field("output", &self.output)
            .finish()
    }
}

impl<H: Heap> Default for Host<H> {
    fn default() -> Self {
        Host {
            roots: RootTable::new(),
            kept: Vec::new(),
            output: Vec::new(),
        }
    }
}

impl<H: Heap> Host<H> {
    /// Pins `value`: it stays alive until [`unpin`](Host::unpin), whatever
    /// the program does.
    pub fn pin(&self, value: Value<H>) -> RootTicket {
        self.roots.pin(value)
    }

    /// The value a ticket names.
    ///
    /// # Errors
    ///
    /// [`VmError::StaleTicket`] for an unpinned, forged or foreign ticket.
    pub fn get(&self, ticket: RootTicket) -> Result<Value<H>, VmError> {
        self.roots
            .get(ticket)
            .ok_or(VmError::StaleTicket(ticket.to_bits()))
    }

    /// The integer a ticket names.
    ///
    /// # Errors
    ///
    /// A stale ticket, or a value that is not an integer.
    pub fn int(&self, ticket: RootTicket) -> Result<i64, VmError> {
        match self.get(ticket)? {
            Value::Int(i) => Ok(i),
            other => Err(VmError::Type {
                op: "native",
                expected: "an integer",
                found: crate::stack::kind(&other.view()),
            }),
        }
    }

    /// Unpins a value.
    ///
    /// # Errors
    ///
    /// [`VmError::StaleTicket`] if the ticket names nothing pinned.
    pub fn unpin(&self, ticket: RootTicket) -> Result<Value<H>, VmError> {
        self.roots
            .unpin(ticket)
            .map_err(|_| VmError::StaleTicket(ticket.to_bits()))
    }

    /// Values pinned now (call arguments included, during a call).
    pub fn pinned(&self) -> usize {
        self.roots.len()
    }
}

/// Natives every VM has, by index:
///
/// 0. `report(n)`: appends the integer `n` to [`Host::output`]; returns nil.
/// 1. `keep(v)`: pins `v` beyond the call; returns an integer handle for
///    it (the host keeps the ticket).
/// 2. `fetch(handle)`: the value a handle names (a stale one is an error).
/// 3. `release(handle)`: unpins it; returns nil (a stale one is an error).
pub fn standard<H: Heap>() -> Vec<Native<H>> {
    vec![report, keep, fetch, release]
}

fn report<H: Heap>(host: &mut Host<H>, args: &[RootTicket]) -> Result<Value<H>, VmError> {
    let n = host.int(args[0])?;
    host.output.push(n);
    Ok(Value::Nil)
}

/// The ticket of a `keep` handle; an unknown handle gets a ticket that
/// names nothing (all ones), so it reports `StaleTicket` like a released one.
fn ticket_of<H: Heap>(host: &Host<H>, handle: i64) -> RootTicket {
    usize::try_from(handle)
        .ok()
        .and_then(|i| host.kept.get(i).copied())
        .unwrap_or(RootTicket::from_bits(u64::MAX))
}

fn keep<H: Heap>(host: &mut Host<H>, args: &[RootTicket]) -> Result<Value<H>, VmError> {
    let value = host.get(args[0])?;
    let ticket = host.pin(value);
    host.kept.push(ticket);
    Ok(Value::Int(host.kept.len() as i64 - 1))
}

fn fetch<H: Heap>(host: &mut Host<H>, args: &[RootTicket]) -> Result<Value<H>, VmError> {
    let handle = host.int(args[0])?;
    host.get(ticket_of(host, handle))
}

fn release<H: Heap>(host: &mut Host<H>, args: &[RootTicket]) -> Result<Value<H>, VmError> {
    let handle = host.int(args[0])?;
    host.unpin(ticket_of(host, handle)).map(|_| Value::Nil)
}
