//! IPv4 subnets: parsing, the gateway, and picking free addresses and subnets.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::NetError;

/// An IPv4 subnet, `10.88.0.0/16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    network: Ipv4Addr,
    prefix: u8,
}

impl Subnet {
    /// The subnet of `address` with `prefix` bits (host bits cleared).
    pub fn new(address: Ipv4Addr, prefix: u8) -> Option<Subnet> {
        (prefix <= 30).then(|| Subnet {
            network: Ipv4Addr::from(u32::from(address) & mask(prefix)),
            prefix,
        })
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The network address.
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The first host address, which the bridge takes (as Docker's does).
    pub fn gateway(&self) -> Ipv4Addr {
        self.host(1)
    }

    /// The `n`-th address of the subnet.
    fn host(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + n)
    }

    fn size(&self) -> u32 {
        1 << (32 - u32::from(self.prefix))
    }

    /// Whether `address` is in the subnet.
    pub fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & mask(self.prefix) == u32::from(self.network)
    }

    /// Whether the two subnets share an address.
    pub fn overlaps(&self, other: &Subnet) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }

    /// The first host address that is neither the gateway, the broadcast address,
    /// nor in `taken`.
    pub fn first_free(&self, taken: &[Ipv4Addr]) -> Option<Ipv4Addr> {
        (2..self.size() - 1)
            .map(|n| self.host(n))
            .find(|address| !taken.contains(address))
    }

    /// The subnets of `prefix` bits in this one, in order.
    pub fn split(&self, prefix: u8) -> impl Iterator<Item = Subnet> + '_ {
        let step = 1u64 << (32 - u32::from(prefix.max(self.prefix)));
        let count = match prefix >= self.prefix {
            true => u64::from(self.size()) / step,
            false => 0,
        };
        (0..count).filter_map(move |i| {
            let start = u64::from(u32::from(self.network)) + i * step;
            Subnet::new(Ipv4Addr::from(start as u32), prefix)
        })
    }
}

fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p)),
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl FromStr for Subnet {
    type Err = NetError;

    fn from_str(text: &str) -> Result<Subnet, NetError> {
        let invalid = |reason: &str| NetError::Invalid {
            what: "subnet",
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| invalid("expected ADDRESS/PREFIX, such as 10.88.0.0/16"))?;
        let address: Ipv4Addr = address
            .parse()
            .map_err(|_| invalid("not an IPv4 address (IPv6 networks are not supported)"))?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid("bad prefix length"))?;
        Subnet::new(address, prefix).ok_or_else(|| invalid("the prefix must be 30 bits or fewer"))
    }
}

impl Serialize for Subnet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Subnet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Subnet, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_parse_and_allocate() {
        let subnet: Subnet = "10.88.3.7/24".parse().unwrap();
        assert_eq!(subnet.to_string(), "10.88.3.0/24");
        assert_eq!(subnet.gateway(), Ipv4Addr::new(10, 88, 3, 1));
        let first = subnet.first_free(&[]).unwrap();
        assert_eq!(first, Ipv4Addr::new(10, 88, 3, 2));
        assert_eq!(
            subnet.first_free(&[first]),
            Some(Ipv4Addr::new(10, 88, 3, 3))
        );
        let small: Subnet = "10.0.0.0/30".parse().unwrap();
        assert_eq!(small.first_free(&[]), Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(small.first_free(&[Ipv4Addr::new(10, 0, 0, 2)]), None);
        assert!("10.0.0.0".parse::<Subnet>().is_err());
        assert!("fd00::/64".parse::<Subnet>().is_err());
    }

    #[test]
    fn pools_split_into_subnets_that_do_not_overlap() {
        let pool: Subnet = "10.201.4.0/24".parse().unwrap();
        let parts: Vec<String> = pool.split(26).map(|s| s.to_string()).collect();
        assert_eq!(
            parts,
            [
                "10.201.4.0/26",
                "10.201.4.64/26",
                "10.201.4.128/26",
                "10.201.4.192/26"
            ]
        );
        let a: Subnet = "10.0.0.0/16".parse().unwrap();
        assert!(a.overlaps(&"10.0.5.0/24".parse().unwrap()));
        assert!(!a.overlaps(&"10.1.0.0/24".parse().unwrap()));
    }
}
