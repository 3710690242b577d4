// Port: the root of the release store this unit uses, a value bound per hook: the storage location, or with
// shared-storage=none the unit's private store below it. The store ports and the install lock all work under it.

export const STORE_ROOT = Symbol.for('concourse-ci-machine/StoreRoot');
