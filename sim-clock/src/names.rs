//! Name lookups inside a simulation: `getaddrinfo` answers from the
//! simulation's DNS, never from a real resolver.
//!
//! sim-clock interposes `getaddrinfo` and `freeaddrinfo`. On a simulation
//! thread, or on a thread its host started (tokio's blocking pool, which
//! runs `tokio::net::lookup_host` and `TcpStream::connect("name:port")`),
//! the answer comes from here:
//!
//! - IP literals (`10.0.0.1`, `::1`) stand for themselves; an IPv4 literal
//!   asked for as IPv6 only (or the reverse) fails with `EAI_ADDRFAMILY`,
//!   as glibc's does;
//! - `localhost` is `127.0.0.1` (and `::1` when IPv6 is asked for);
//! - no name at all is the loopback address (`::1`, then `127.0.0.1`), or
//!   with `AI_PASSIVE` the wildcard (`0.0.0.0`, then `::`);
//! - any other name goes to the resolver the network registered with
//!   [`set_resolver`] (sim-net's: the simulation's host names); a name it
//!   does not know, or one without an address of the asked family, fails
//!   with `EAI_NONAME` ("Name or service not known").
//!
//! The crate that owns the addresses registers the resolver, as sim-core
//! registers the epoll and eventfd factories: sim-clock knows no network.
//! Every other thread of the process uses the C library's resolver.

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

/// Looks a host name up in the simulation: its addresses, or `None` if no
/// host has that name. Called on the simulation thread only.
pub type NameResolver = Box<dyn Fn(&str) -> Option<Vec<IpAddr>>>;

thread_local! {
    static RESOLVER: RefCell<Option<Rc<NameResolver>>> = const { RefCell::new(None) };
}

/// Registers the resolver for host names on this simulation thread (until
/// the simulation ends). Without one, only IP literals, `localhost` and the
/// null name resolve.
pub fn set_resolver(resolver: NameResolver) {
    RESOLVER.with(|r| *r.borrow_mut() = Some(Rc::new(resolver)));
}

pub(crate) fn reset() {
    let _ = RESOLVER.try_with(|r| r.try_borrow_mut().map(|mut r| r.take()));
}

/// The registered resolver's answer for `name` (on the simulation thread).
fn resolve_registered(name: &str) -> Option<Vec<IpAddr>> {
    let resolver = RESOLVER
        .try_with(|r| r.try_borrow().ok().and_then(|r| r.clone()))
        .ok()
        .flatten()?;
    resolver(name)
}

/// `resolve_registered`, from the simulation thread or a host thread.
fn resolve_host_name(name: &str) -> Option<Vec<IpAddr>> {
    if crate::is_sim_thread() {
        return resolve_registered(name);
    }
    let owned = name.to_string();
    crate::threads::on_sim_thread(move || resolve_registered(&owned)).flatten()
}

/// Why a lookup failed, as `getaddrinfo`'s `EAI_*` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// `EAI_NONAME`: "Name or service not known".
    NoName,
    /// `EAI_ADDRFAMILY`: an address literal of the other family.
    AddrFamily,
    /// `EAI_SERVICE`: a service that is not a port number, or a port with
    /// a socket type that has none.
    Service,
    /// `EAI_FAMILY`: a family other than `AF_INET`, `AF_INET6`, `AF_UNSPEC`.
    Family,
    /// `EAI_SOCKTYPE`: a socket type other than stream, datagram, raw.
    SockType,
    /// `EAI_BADFLAGS`: flags glibc rejects (`AI_CANONNAME` without a name).
    BadFlags,
}

impl LookupError {
    /// glibc's value of the code.
    pub(crate) fn code(self) -> libc::c_int {
        match self {
            LookupError::NoName => libc::EAI_NONAME,
            LookupError::AddrFamily => -9, // EAI_ADDRFAMILY (a GNU extension)
            LookupError::Service => libc::EAI_SERVICE,
            LookupError::Family => libc::EAI_FAMILY,
            LookupError::SockType => libc::EAI_SOCKTYPE,
            LookupError::BadFlags => libc::EAI_BADFLAGS,
        }
    }
}

/// What the caller asked for (`getaddrinfo`'s hints, defaults filled in).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Hints {
    pub(crate) family: libc::c_int,
    pub(crate) socktype: libc::c_int,
    pub(crate) protocol: libc::c_int,
    pub(crate) flags: libc::c_int,
}

/// One entry of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) ip: IpAddr,
    pub(crate) port: u16,
    pub(crate) socktype: libc::c_int,
    pub(crate) protocol: libc::c_int,
}

/// The socket types (with their protocols) an entry is listed for: the
/// asked one, or glibc's three when none was asked.
fn socktypes(
    hints: &Hints,
    has_port: bool,
) -> Result<Vec<(libc::c_int, libc::c_int)>, LookupError> {
    let all = [
        (libc::SOCK_STREAM, libc::IPPROTO_TCP),
        (libc::SOCK_DGRAM, libc::IPPROTO_UDP),
        (libc::SOCK_RAW, 0),
    ];
    if hints.socktype == 0 {
        let mut list: Vec<_> = all
            .into_iter()
            .filter(|(_, p)| hints.protocol == 0 || *p == hints.protocol)
            .collect();
        if has_port {
            // A raw socket has no port: glibc leaves it out when a service is given.
            list.retain(|(t, _)| *t != libc::SOCK_RAW);
        }
        return Ok(list);
    }
    let Some(&(t, p)) = all.iter().find(|(t, _)| *t == hints.socktype) else {
        return Err(LookupError::SockType);
    };
    if t == libc::SOCK_RAW && has_port {
        return Err(LookupError::Service);
    }
    let protocol = if hints.protocol != 0 {
        hints.protocol
    } else {
        p
    };
    Ok(vec![(t, protocol)])
}

/// The service as a port number (`None`: no service given).
fn parse_service(service: Option<&str>) -> Result<Option<u16>, LookupError> {
    match service {
        None => Ok(None),
        Some(s) => s.parse::<u16>().map(Some).map_err(|_| LookupError::Service),
    }
}

fn family_ok(family: libc::c_int, ip: &IpAddr) -> bool {
    match family {
        libc::AF_INET => ip.is_ipv4(),
        libc::AF_INET6 => ip.is_ipv6(),
        _ => true,
    }
}

/// The addresses `node` names, for `hints.family`, before socket types.
fn addresses(node: Option<&str>, hints: &Hints) -> Result<Vec<IpAddr>, LookupError> {
    let family = hints.family;
    let Some(node) = node else {
        let passive = hints.flags & libc::AI_PASSIVE != 0;
        let (v4, v6) = if passive {
            (
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            )
        } else {
            (
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            )
        };
        // glibc's order: the wildcard IPv4 first, the loopback IPv6 first.
        let both = if passive { vec![v4, v6] } else { vec![v6, v4] };
        return Ok(both
            .into_iter()
            .filter(|ip| family_ok(family, ip))
            .collect());
    };
    if let Ok(ip) = node.parse::<IpAddr>() {
        if !family_ok(family, &ip) {
            return Err(LookupError::AddrFamily);
        }
        return Ok(vec![ip]);
    }
    if hints.flags & libc::AI_NUMERICHOST != 0 {
        return Err(LookupError::NoName);
    }
    let found = if node.eq_ignore_ascii_case("localhost") {
        vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
    } else {
        resolve_host_name(node).ok_or(LookupError::NoName)?
    };
    let mut list: Vec<IpAddr> = found
        .iter()
        .copied()
        .filter(|ip| family_ok(family, ip))
        .collect();
    if family == libc::AF_UNSPEC && node.eq_ignore_ascii_case("localhost") {
        // Only the IPv4 loopback unless IPv6 is asked for (see the guide).
        list.retain(IpAddr::is_ipv4);
    }
    let v4mapped = libc::AI_V4MAPPED;
    if family == libc::AF_INET6 && hints.flags & v4mapped != 0 {
        let mapped = found.iter().filter_map(|ip| match ip {
            IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
            IpAddr::V6(_) => None,
        });
        if list.is_empty() || hints.flags & libc::AI_ALL != 0 {
            list.extend(mapped);
        }
    }
    if list.is_empty() {
        return Err(LookupError::NoName);
    }
    Ok(list)
}

/// The whole answer to `getaddrinfo(node, service, hints)`, in glibc's
/// order: each address with each socket type.
pub(crate) fn lookup(
    node: Option<&str>,
    service: Option<&str>,
    hints: &Hints,
) -> Result<Vec<Entry>, LookupError> {
    if !matches!(
        hints.family,
        libc::AF_UNSPEC | libc::AF_INET | libc::AF_INET6
    ) {
        return Err(LookupError::Family);
    }
    if node.is_none() && service.is_none() {
        return Err(LookupError::NoName);
    }
    if node.is_none() && hints.flags & libc::AI_CANONNAME != 0 {
        return Err(LookupError::BadFlags);
    }
    let port = parse_service(service)?;
    let types = socktypes(hints, port.is_some())?;
    let ips = addresses(node, hints)?;
    let mut out = Vec::with_capacity(ips.len() * types.len());
    for ip in ips {
        for &(socktype, protocol) in &types {
            out.push(Entry {
                ip,
                port: port.unwrap_or(0),
                socktype,
                protocol,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(family: libc::c_int, socktype: libc::c_int, flags: libc::c_int) -> Hints {
        Hints {
            family,
            socktype,
            protocol: 0,
            flags,
        }
    }

    #[test]
    fn an_ipv4_literal_asked_as_ipv6_fails_with_eai_addrfamily() {
        let r = lookup(Some("10.0.0.1"), None, &hints(libc::AF_INET6, 0, 0));
        assert_eq!(r, Err(LookupError::AddrFamily));
    }

    #[test]
    fn no_type_asked_lists_stream_datagram_and_raw_as_glibc_does() {
        let r = lookup(Some("10.0.0.1"), None, &hints(0, 0, 0)).unwrap();
        let types: Vec<_> = r.iter().map(|e| e.socktype).collect();
        assert_eq!(types, [libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_RAW]);
        let with_port = lookup(Some("10.0.0.1"), Some("80"), &hints(0, 0, 0)).unwrap();
        assert_eq!(with_port.len(), 2);
    }

    #[test]
    fn the_null_name_is_loopback_or_with_ai_passive_the_wildcard() {
        let stream = |flags| {
            lookup(None, Some("80"), &hints(0, libc::SOCK_STREAM, flags))
                .unwrap()
                .iter()
                .map(|e| e.ip.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(stream(0), ["::1", "127.0.0.1"]);
        assert_eq!(stream(libc::AI_PASSIVE), ["0.0.0.0", "::"]);
    }

    #[test]
    fn a_named_service_or_a_port_for_a_raw_socket_fails_with_eai_service() {
        let h = hints(0, libc::SOCK_STREAM, 0);
        assert_eq!(
            lookup(Some("::1"), Some("http"), &h),
            Err(LookupError::Service)
        );
        let raw = hints(0, libc::SOCK_RAW, 0);
        assert_eq!(
            lookup(Some("::1"), Some("80"), &raw),
            Err(LookupError::Service)
        );
    }

    #[test]
    fn a_name_with_ai_numerichost_fails_with_eai_noname() {
        let r = lookup(Some("db"), None, &hints(0, 0, libc::AI_NUMERICHOST));
        assert_eq!(r, Err(LookupError::NoName));
    }

    #[test]
    fn localhost_is_the_ipv4_loopback_and_the_ipv6_one_when_asked() {
        let ips = |family| {
            lookup(
                Some("localhost"),
                None,
                &hints(family, libc::SOCK_STREAM, 0),
            )
            .unwrap()
            .iter()
            .map(|e| e.ip.to_string())
            .collect::<Vec<_>>()
        };
        assert_eq!(ips(libc::AF_UNSPEC), ["127.0.0.1"]);
        assert_eq!(ips(libc::AF_INET6), ["::1"]);
    }
}
