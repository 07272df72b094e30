//! What the stack's test files share.

use odmu_topology::SERVICES;

/// A port offset under which every port a stack of two replicas needs is free right now: the
/// services' table ports and +10, the gateway's and the mesh's. Each file passes its own
/// `base`, and tests of one file take turns, so that stacks started at once do not collide.
pub(crate) fn free_offset(base: u16) -> u16 {
    static TURN: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    for _ in 0..200u16 {
        let attempt = TURN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let offset = base + (std::process::id() as u16 % 100) * 50 + attempt * 23;
        let ports: Vec<u16> = SERVICES
            .iter()
            .flat_map(|s| [s.port + offset, s.port + offset + 10])
            .chain([
                odmu_topology::GATEWAY_PORT + offset,
                odmu_topology::GATEWAY_PORT + offset + 1,
            ])
            .collect();
        if ports
            .iter()
            .all(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        {
            return offset;
        }
    }
    panic!("no free ports");
}
