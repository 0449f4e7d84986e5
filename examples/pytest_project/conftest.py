"""Fixtures of every scope for the shop's tests."""
import pytest

from shop import AuditLog, Cart, Catalog, Database

PRICES = {"apple": 3, "pear": 4, "plum": 2}


def pytest_configure(config):
    # pyleak-ci registers its marker itself; this keeps plain pytest
    # quiet (and --strict-markers happy) about it too.
    config.addinivalue_line("markers", "pyleak: pyleak-ci per-test control")


@pytest.fixture(scope="session")
def db():
    database = Database()
    yield database
    database.close()


@pytest.fixture(scope="module")
def catalog(db):
    cat = Catalog(db)
    cat.load(PRICES)
    return cat


@pytest.fixture
def cart(catalog):
    return Cart(catalog)


@pytest.fixture
def tracked_cart(cart, db):
    """Sees the cart's events, and stops listening afterwards."""
    log = AuditLog()
    db.events.subscribe(log.record)
    yield cart, log
    db.events.unsubscribe(log.record)


@pytest.fixture
def audited_cart(cart, db):
    """Like tracked_cart, but forgets to unsubscribe: every test that uses
    it leaves an AuditLog on the session's event bus."""
    log = AuditLog()
    db.events.subscribe(log.record)
    return cart, log
