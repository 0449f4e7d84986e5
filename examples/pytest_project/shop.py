"""A small shop: a database with an event bus, a catalog, carts."""


class EventBus:
    """Calls every subscriber with each event; lives as long as the
    database does."""

    def __init__(self):
        self.subscribers = []

    def subscribe(self, fn):
        self.subscribers.append(fn)

    def unsubscribe(self, fn):
        self.subscribers.remove(fn)

    def publish(self, event):
        for fn in list(self.subscribers):
            fn(event)


class Database:
    def __init__(self):
        self.rows = {}
        self.events = EventBus()
        self.open = True

    def put(self, key, value):
        self.rows[key] = value
        self.events.publish(("put", key))

    def close(self):
        self.open = False


class Catalog:
    def __init__(self, db):
        self.db = db

    def load(self, prices):
        for name, price in prices.items():
            self.db.put(("price", name), price)

    def price(self, name):
        return self.db.rows[("price", name)]


class Cart:
    def __init__(self, catalog):
        self.catalog = catalog
        self.lines = []

    def add(self, name, qty=1):
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self.lines.append((name, qty))

    def total(self, discount=None):
        total = sum(self.catalog.price(n) * q for n, q in self.lines)
        return discount(total) if discount else total

    def checkout(self):
        self.catalog.db.events.publish(("checkout", tuple(self.lines)))
        lines, self.lines = self.lines, []
        return lines


class AuditLog:
    """Remembers the events it is sent."""

    def __init__(self):
        self.events = []

    def record(self, event):
        self.events.append(event)
