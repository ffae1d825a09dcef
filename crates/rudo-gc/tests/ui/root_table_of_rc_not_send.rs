// A table of values that are not `Send` is not `Send` either.
use rudo_gc::Gc;
use rudo_gc::roots::RootTable;

fn send<T: Send>(_: T) {}

fn main() {
    let table: RootTable<Gc<std::rc::Rc<u8>>> = RootTable::new();
    send(table);
}
