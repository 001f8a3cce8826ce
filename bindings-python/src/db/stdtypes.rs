//! The standard-library types database values become (Decimal, UUID, datetime,
//! ipaddress), looked up once per interpreter: the limited API has no C access to them,
//! so conversion calls them, and a cached reference keeps that to one call per value.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

pub struct StdTypes {
    pub decimal: Py<PyAny>,
    pub uuid: Py<PyAny>,
    pub date: Py<PyAny>,
    pub time: Py<PyAny>,
    pub datetime: Py<PyAny>,
    pub timedelta: Py<PyAny>,
    pub utc: Py<PyAny>,
    pub ip_address: Py<PyAny>,
    pub ip_interface: Py<PyAny>,
    pub ip_network: Py<PyAny>,
    /// Checked before the address types: an interface is also an address.
    pub ipv4_interface: Py<PyAny>,
    pub ipv6_interface: Py<PyAny>,
    pub ipv4_network: Py<PyAny>,
    pub ipv6_network: Py<PyAny>,
    pub ipv4_address: Py<PyAny>,
    pub ipv6_address: Py<PyAny>,
    /// Postgres `infinity` / `-infinity` become these, as asyncpg does (naive for
    /// timestamptz too).
    pub date_max: Py<PyAny>,
    pub date_min: Py<PyAny>,
    pub datetime_max: Py<PyAny>,
    pub datetime_min: Py<PyAny>,
}

static TYPES: PyOnceLock<StdTypes> = PyOnceLock::new();

pub fn get(py: Python<'_>) -> PyResult<&StdTypes> {
    TYPES.get_or_try_init(py, || {
        let decimal = py.import("decimal")?;
        let uuid = py.import("uuid")?;
        let dt = py.import("datetime")?;
        let ip = py.import("ipaddress")?;
        let attr = |m: &Bound<'_, PyModule>, name: &str| m.getattr(name).map(Bound::unbind);
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        let date = dt.getattr("date")?;
        let datetime = dt.getattr("datetime")?;
        Ok(StdTypes {
            decimal: attr(&decimal, "Decimal")?,
            uuid: attr(&uuid, "UUID")?,
            date_max: date.getattr("max")?.unbind(),
            date_min: date.getattr("min")?.unbind(),
            datetime_max: datetime.getattr("max")?.unbind(),
            datetime_min: datetime.getattr("min")?.unbind(),
            date: date.unbind(),
            time: attr(&dt, "time")?,
            datetime: datetime.unbind(),
            timedelta: attr(&dt, "timedelta")?,
            utc: utc.unbind(),
            ip_address: attr(&ip, "ip_address")?,
            ip_interface: attr(&ip, "ip_interface")?,
            ip_network: attr(&ip, "ip_network")?,
            ipv4_interface: attr(&ip, "IPv4Interface")?,
            ipv6_interface: attr(&ip, "IPv6Interface")?,
            ipv4_network: attr(&ip, "IPv4Network")?,
            ipv6_network: attr(&ip, "IPv6Network")?,
            ipv4_address: attr(&ip, "IPv4Address")?,
            ipv6_address: attr(&ip, "IPv6Address")?,
        })
    })
}
