//! `Fulfilled(value)` and `Rejected(error)`: how every op of a batch ends, the Python
//! twins of `Promise.allSettled`'s objects. Native so a batch converts in bulk cheaply.

use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

/// `Cls[T]` at runtime, as the stubs declare these classes generic.
pub fn generic_alias<'py>(
    cls: &Bound<'py, PyType>,
    item: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    py.import("types")?
        .getattr("GenericAlias")?
        .call1((cls, item))
}

#[pyclass(frozen, module = "fanio")]
pub struct Fulfilled {
    #[pyo3(get)]
    value: Py<PyAny>,
}

#[pyclass(frozen, module = "fanio")]
pub struct Rejected {
    #[pyo3(get)]
    error: Py<PyAny>,
}

impl Fulfilled {
    pub fn new(value: Py<PyAny>) -> Self {
        Fulfilled { value }
    }
}

impl Rejected {
    pub fn new(error: Py<PyAny>) -> Self {
        Rejected { error }
    }
}

#[pymethods]
impl Fulfilled {
    #[new]
    fn py_new(value: Py<PyAny>) -> Self {
        Fulfilled { value }
    }

    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        Ok(PyTuple::new(py, ["value"])?.unbind())
    }

    #[classmethod]
    fn __class_getitem__<'py>(
        cls: &Bound<'py, PyType>,
        item: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        generic_alias(cls, item)
    }

    #[getter]
    fn status(&self) -> &'static str {
        "fulfilled"
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Fulfilled>() {
            Ok(o) => self.value.bind(py).eq(o.get().value.bind(py)),
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Fulfilled({})", self.value.bind(py).repr()?))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (Py<PyAny>,))> {
        Ok((
            slf.get_type().into_any(),
            (slf.get().value.clone_ref(slf.py()),),
        ))
    }
}

#[pymethods]
impl Rejected {
    #[new]
    fn py_new(error: Py<PyAny>) -> Self {
        Rejected { error }
    }

    #[classattr]
    fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        Ok(PyTuple::new(py, ["error"])?.unbind())
    }

    #[classmethod]
    fn __class_getitem__<'py>(
        cls: &Bound<'py, PyType>,
        item: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        generic_alias(cls, item)
    }

    #[getter]
    fn status(&self) -> &'static str {
        "rejected"
    }

    /// Exceptions compare by identity in Python; two rejections are equal when their
    /// errors are of the same type with the same arguments (and code).
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(o) = other.cast::<Rejected>() else {
            return Ok(false);
        };
        let (a, b) = (self.error.bind(py), o.get().error.bind(py));
        if a.is(b) {
            return Ok(true);
        }
        let same_type = a.get_type().is(b.get_type());
        let args = pyo3::intern!(py, "args");
        Ok(same_type && a.getattr(args)?.eq(b.getattr(args)?)?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Rejected({})", self.error.bind(py).repr()?))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (Py<PyAny>,))> {
        Ok((
            slf.get_type().into_any(),
            (slf.get().error.clone_ref(slf.py()),),
        ))
    }
}
