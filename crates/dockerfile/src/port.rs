//! EXPOSE's ports as the image config's `ExposedPorts` keys.

use crate::error::ErrorKind;

/// One expanded EXPOSE word as `ExposedPorts` keys: `80` is `80/tcp`,
/// `53/UDP` is `53/udp`, and a range `8000-8002/tcp` is each of its ports.
///
/// ```
/// use container_dockerfile::exposed_ports;
/// assert_eq!(exposed_ports("80").unwrap(), ["80/tcp"]);
/// assert_eq!(exposed_ports("7000-7001/udp").unwrap(), ["7000/udp", "7001/udp"]);
/// ```
pub fn exposed_ports(spec: &str) -> Result<Vec<String>, ErrorKind> {
    let fail = |reason: &str| ErrorKind::Port {
        spec: spec.to_string(),
        reason: reason.to_string(),
    };
    let (ports, protocol) = match spec.split_once('/') {
        Some((ports, protocol)) => (ports, protocol.to_ascii_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(fail("the protocol must be tcp, udp or sctp"));
    }
    let number = |text: &str| {
        text.parse::<u16>()
            .map_err(|_| fail("a port is a number from 0 to 65535"))
    };
    let (first, last) = match ports.split_once('-') {
        Some((first, last)) => (number(first)?, number(last)?),
        None => (number(ports)?, number(ports)?),
    };
    if last < first {
        return Err(fail("a range must not end before it starts"));
    }
    Ok((first..=last)
        .map(|port| format!("{port}/{protocol}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_protocols_and_ranges() {
        assert_eq!(exposed_ports("443/tcp").unwrap(), ["443/tcp"]);
        assert_eq!(exposed_ports("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(exposed_ports("9/sctp").unwrap(), ["9/sctp"]);
        assert_eq!(exposed_ports("1-3").unwrap(), ["1/tcp", "2/tcp", "3/tcp"]);
        for bad in ["http", "80/xyz", "70000", "5-3", "", "80/"] {
            assert!(exposed_ports(bad).is_err(), "{bad}");
        }
    }
}
