//! `fanio.Retry`: a retry policy checked for types when it is made and for ranges by the
//! core when a client takes it; frozen, comparable, with a repr that reads like the call
//! that made it.

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use fanio_core::http::RetryPolicy;
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyFrozenSet, PyString};

use super::args::{count, flag};
use crate::args::seconds;
use crate::error::invalid;

#[pyclass(frozen, module = "fanio")]
pub struct Retry {
    policy: RetryPolicy,
    /// The methods as given (upper-cased), or None for the idempotent ones.
    methods: Option<BTreeSet<String>>,
}

impl Retry {
    pub fn policy(&self) -> RetryPolicy {
        self.policy.clone()
    }
}

fn statuses(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Vec<u16>> {
    let wrong = || invalid(py, "on_status must be a set of int statuses");
    if value.is_instance_of::<PyString>() {
        return Err(wrong());
    }
    let mut set = BTreeSet::new();
    for item in value.try_iter().map_err(|_| wrong())? {
        let status = count(py, Some(&item?), "on_status")?.ok_or_else(wrong)?;
        set.insert(
            u16::try_from(status)
                .map_err(|_| invalid(py, format!("on_status: {status} is not an HTTP status")))?,
        );
    }
    Ok(set.into_iter().collect())
}

fn method_names(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<BTreeSet<String>> {
    let wrong = || invalid(py, "methods must be a set of str method names, or None");
    if value.is_instance_of::<PyString>() {
        return Err(wrong());
    }
    let mut set = BTreeSet::new();
    for item in value.try_iter().map_err(|_| wrong())? {
        let item = item?;
        let name = item.cast::<PyString>().map_err(|_| wrong())?;
        set.insert(crate::args::utf8(name, "methods")?.to_ascii_uppercase());
    }
    Ok(set)
}

#[pymethods]
impl Retry {
    #[new]
    #[pyo3(signature = (attempts=None, backoff=None, backoff_max=None, jitter=None, on_status=None,
                        on_connect_error=None, respect_retry_after=None, methods=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        attempts: Option<&Bound<'_, PyAny>>,
        backoff: Option<&Bound<'_, PyAny>>,
        backoff_max: Option<&Bound<'_, PyAny>>,
        jitter: Option<&Bound<'_, PyAny>>,
        on_status: Option<&Bound<'_, PyAny>>,
        on_connect_error: Option<&Bound<'_, PyAny>>,
        respect_retry_after: Option<&Bound<'_, PyAny>>,
        methods: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        // Absent (or None) takes the core's default, so the defaults live in one place.
        let mut p = RetryPolicy::default();
        if let Some(n) = count(py, attempts, "attempts")? {
            p.attempts =
                u32::try_from(n).map_err(|_| invalid(py, format!("attempts is too large: {n}")))?;
        }
        if let Some(v) = backoff.filter(|v| !v.is_none()) {
            p.backoff = seconds(py, v, "backoff")?;
        }
        if let Some(v) = backoff_max.filter(|v| !v.is_none()) {
            p.backoff_max = seconds(py, v, "backoff_max")?;
        }
        for (target, value, name) in [
            (&mut p.jitter, jitter, "jitter"),
            (
                &mut p.on_connect_error,
                on_connect_error,
                "on_connect_error",
            ),
            (
                &mut p.respect_retry_after,
                respect_retry_after,
                "respect_retry_after",
            ),
        ] {
            if let Some(v) = value.filter(|v| !v.is_none()) {
                *target = flag(py, v, name)?;
            }
        }
        if let Some(v) = on_status.filter(|v| !v.is_none()) {
            p.on_status = statuses(py, v)?;
        }
        let methods = methods
            .filter(|v| !v.is_none())
            .map(|v| method_names(py, v))
            .transpose()?;
        if let Some(m) = &methods {
            p.methods = m.iter().cloned().collect();
        }
        Ok(Retry { policy: p, methods })
    }

    #[getter]
    fn attempts(&self) -> u32 {
        self.policy.attempts
    }

    /// Seconds before the first retry, doubled for each further one.
    #[getter]
    fn backoff(&self) -> f64 {
        self.policy.backoff.as_secs_f64()
    }

    #[getter]
    fn backoff_max(&self) -> f64 {
        self.policy.backoff_max.as_secs_f64()
    }

    #[getter]
    fn jitter(&self) -> bool {
        self.policy.jitter
    }

    #[getter]
    fn on_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        PyFrozenSet::new(py, &self.policy.on_status)
    }

    #[getter]
    fn on_connect_error(&self) -> bool {
        self.policy.on_connect_error
    }

    #[getter]
    fn respect_retry_after(&self) -> bool {
        self.policy.respect_retry_after
    }

    /// The methods retried, or None for the idempotent ones (GET, HEAD, OPTIONS, PUT,
    /// DELETE, TRACE).
    #[getter]
    fn methods<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyFrozenSet>>> {
        self.methods
            .as_ref()
            .map(|m| PyFrozenSet::new(py, m))
            .transpose()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let secs = |d: std::time::Duration| {
            PyFloat::new(py, d.as_secs_f64())
                .repr()
                .map(|r| r.to_string())
        };
        let py_bool = |b: bool| if b { "True" } else { "False" };
        let set = |items: Vec<String>| format!("frozenset({{{}}})", items.join(", "));
        let p = &self.policy;
        let methods = match &self.methods {
            None => "None".to_owned(),
            Some(m) if m.is_empty() => "frozenset()".to_owned(),
            Some(m) => set(m
                .iter()
                .map(|s| format!("{s:?}").replace('"', "'"))
                .collect()),
        };
        let on_status = match p.on_status.is_empty() {
            true => "frozenset()".to_owned(),
            false => set(p.on_status.iter().map(u16::to_string).collect()),
        };
        Ok(format!(
            "Retry(attempts={}, backoff={}, backoff_max={}, jitter={}, on_status={on_status}, \
             on_connect_error={}, respect_retry_after={}, methods={methods})",
            p.attempts,
            secs(p.backoff)?,
            secs(p.backoff_max)?,
            py_bool(p.jitter),
            py_bool(p.on_connect_error),
            py_bool(p.respect_retry_after),
        ))
    }

    /// Two policies are equal when they retry alike; the canonical repr says exactly that.
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Retry>() {
            Ok(o) => Ok(self.__repr__(py)? == o.get().__repr__(py)?),
            Err(_) => Ok(false),
        }
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        let mut h = DefaultHasher::new();
        self.__repr__(py)?.hash(&mut h);
        Ok(h.finish() as isize)
    }
}
