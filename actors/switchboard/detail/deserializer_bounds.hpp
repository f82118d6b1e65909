#pragma once

namespace switchboard::detail {

/// Makes sure the linker keeps this process's checks on what CAF's
/// `binary_deserializer` accepts (deserializer_bounds.cpp).
///
/// CAF 0.17.6 trusts a peer's bytes in two ways that a node cannot afford,
/// both inside BASP, before any Switchboard code sees the message:
/// - it resizes a byte sequence (`std::vector<char>`, builtin `@charbuf`)
///   to the size the message announces before it checks that the bytes are
///   there: 100 bytes that claim 0xFFFFFFFF elements make the node
///   allocate and zero 4 GiB;
/// - it decodes a `double` (`float`) whose exponent bits are all ones as an
///   infinity, which its serializer cannot encode: `pack754` halves an
///   infinity for ever, so the node hangs the moment it sends the value on
///   (an echoing route, a reply through the mesh).
///
/// deserializer_bounds.cpp defines `caf::binary_deserializer`'s
/// `begin_sequence` and its `double` and `float` readers itself, refusing
/// both; the dynamic linker binds CAF's own calls (its vtable and PLT
/// entries name these symbols) to those definitions.
///
/// Everything that opens the node to the network calls this: the
/// transport and `configure_mesh`. It does nothing at run time; calling it
/// makes the object file (and the definitions) part of the program.
void bound_deserializer() noexcept;

} // namespace switchboard::detail
