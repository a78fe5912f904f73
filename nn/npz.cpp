// SPDX-License-Identifier: MIT
#include "npz.hpp"

#include <algorithm>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

namespace {
// ------------------------------------------------------------ byte helpers
std::uint32_t crc32(const char* data, std::size_t n) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::size_t i = 0; i < n; ++i) c = table[(c ^ static_cast<unsigned char>(data[i])) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

void put16(std::string& s, std::uint32_t v) {
    s += char(v & 0xFF);
    s += char((v >> 8) & 0xFF);
}
void put32(std::string& s, std::uint32_t v) {
    put16(s, v & 0xFFFF);
    put16(s, v >> 16);
}

struct Reader {  // bounds-checked little-endian reads from a byte string
    const std::string& b;
    const std::string& what;
    std::uint64_t get(std::size_t at, int bytes) const {
        if (at > b.size() || b.size() - at < static_cast<std::size_t>(bytes))
            fail<ValueError>("load_npz: {}: truncated or corrupt (read past the end at offset {})", what, at);
        std::uint64_t v = 0;
        for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
        return v;
    }
};

// ---------------------------------------------------------------- npy
template <class A>
std::string npy_bytes(const A& a, const char* descr) {
    std::string shape = "(";
    for (std::size_t d : a.shape()) shape += std::to_string(d) + ", ";
    if (a.dimension() > 1) shape.resize(shape.size() - 2);
    else if (a.dimension() == 1) shape.resize(shape.size() - 1);  // "(3,)"
    shape += ")";
    std::string header = std::string("{'descr': '") + descr +
                         "', 'fortran_order': False, 'shape': " + shape + ", }";
    const std::size_t unpadded = 10 + header.size() + 1;  // magic+version+len, header, '\n'
    header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
    std::string out = "\x93NUMPY";
    out += char(1);
    out += char(0);
    put16(out, static_cast<std::uint32_t>(header.size()));
    out += header;
    out.append(reinterpret_cast<const char*>(a.data()), a.size() * sizeof(*a.data()));
    return out;
}
std::string npy_bytes(const Array& a) { return npy_bytes(a, sizeof(real) == 8 ? "<f8" : "<f4"); }
std::string npy_bytes(const Ids& a) { return npy_bytes(a, "<i8"); }

// One .npy array: floating point, or integers kept as integers.
struct NpyArray {
    Array reals;
    Ids ids;
    bool integer = false;
};

// Parses "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".
NpyArray parse_npy(const std::string& b, std::size_t off, std::size_t len, const std::string& what) {
    Reader r{b, what};
    if (len < 10 || b.compare(off, 6, "\x93NUMPY") != 0) fail<ValueError>("load_npz: {}: not a .npy array", what);
    const int major = static_cast<int>(r.get(off + 6, 1));
    std::size_t hlen, hstart;
    if (major == 1) {
        hlen = r.get(off + 8, 2);
        hstart = off + 10;
    } else if (major == 2 || major == 3) {
        hlen = r.get(off + 8, 4);
        hstart = off + 12;
    } else {
        fail<ValueError>("load_npz: {}: unsupported .npy version {}", what, major);
    }
    if (hstart - off + hlen > len) fail<ValueError>("load_npz: {}: header runs past the array's end", what);
    const std::string h = b.substr(hstart, hlen);
    auto field = [&](const char* key) {
        const std::size_t k = h.find(std::string("'") + key + "'");
        if (k == std::string::npos) fail<ValueError>("load_npz: {}: header has no '{}'", what, key);
        std::size_t v = h.find(':', k);
        if (v == std::string::npos) fail<ValueError>("load_npz: {}: malformed header", what);
        return v + 1;
    };
    std::size_t d = h.find('\'', field("descr"));
    const std::size_t d_end = d == std::string::npos ? d : h.find('\'', d + 1);
    if (d_end == std::string::npos) fail<ValueError>("load_npz: {}: malformed descr", what);
    const std::string descr = h.substr(d + 1, d_end - d - 1);
    const std::size_t fo = h.find_first_not_of(' ', field("fortran_order"));
    if (fo != std::string::npos && h.compare(fo, 4, "True") == 0)
        fail<ValueError>("load_npz: {}: Fortran-ordered arrays are not supported", what);
    const std::size_t p0 = h.find('(', field("shape")), p1 = h.find(')', p0);
    if (p0 == std::string::npos || p1 == std::string::npos) fail<ValueError>("load_npz: {}: malformed shape", what);
    Shape shape;
    std::uint64_t count = 1;
    std::stringstream dims(h.substr(p0 + 1, p1 - p0 - 1));
    std::string tok;
    while (std::getline(dims, tok, ',')) {
        if (tok.find_first_not_of(' ') == std::string::npos) continue;
        std::size_t used = 0;
        unsigned long long v = 0;
        try {
            v = std::stoull(tok, &used);
        } catch (const std::exception&) {
            fail<ValueError>("load_npz: {}: bad dimension '{}' in shape", what, tok);
        }
        shape.push_back(static_cast<std::size_t>(v));
        if (v != 0 && count > (std::uint64_t(1) << 40) / v)
            fail<ValueError>("load_npz: {}: shape is absurdly large", what);
        count *= v;
    }
    std::size_t width;
    if (descr == "<f4" || descr == "<i4") width = 4;
    else if (descr == "<f8" || descr == "<i8") width = 8;
    else fail<ValueError>("load_npz: {}: unsupported dtype '{}' (float32/64 or int32/64 only)", what, descr);
    const std::size_t data = hstart + hlen;
    if ((data - off) + count * width != len)
        fail<ValueError>("load_npz: {}: holds {} bytes of data, shape {} of {} needs {}", what, len - (data - off),
                         shape_str(shape), descr, count * width);
    NpyArray out;
    const char* src = b.data() + data;
    if (descr[1] == 'i') {
        out.integer = true;
        out.ids = IndexArray::from_shape(shape);
        for (std::size_t i = 0; i < count; ++i) {
            const char* e = src + i * width;
            if (width == 4) { std::int32_t v; std::memcpy(&v, e, 4); out.ids.data()[i] = v; }
            else { std::int64_t v; std::memcpy(&v, e, 8); out.ids.data()[i] = static_cast<Index>(v); }
        }
        return out;
    }
    out.reals = Array::from_shape(shape);
    for (std::size_t i = 0; i < count; ++i) {
        const char* e = src + i * width;
        if (width == 4) { float v; std::memcpy(&v, e, 4); out.reals.data()[i] = static_cast<real>(v); }
        else { double v; std::memcpy(&v, e, 8); out.reals.data()[i] = static_cast<real>(v); }
    }
    return out;
}

[[noreturn]] void io_error(const char* op, const std::string& path, const char* what) {
    fail<Error>("{}: {}: {} ({})", op, path, what, std::strerror(errno));
}
}  // namespace

// ------------------------------------------------------------------- write
namespace {
void write_archive(const std::string& path, const std::map<std::string, std::string>& arrays);
}

void save_npz(const std::string& path, const NamedArrays& arrays) {
    std::map<std::string, std::string> bytes;
    for (const auto& [key, a] : arrays) bytes[key] = npy_bytes(a);
    write_archive(path, bytes);
}

void save_npz(const std::string& path, const NpzContents& contents) {
    std::map<std::string, std::string> bytes;
    for (const auto& [key, a] : contents.reals) bytes[key] = npy_bytes(a);
    for (const auto& [key, a] : contents.ids) {
        if (contents.reals.count(key)) fail<ValueError>("save_npz: {}: '{}' names two arrays", path, key);
        bytes[key] = npy_bytes(a);
    }
    write_archive(path, bytes);
}

namespace {
void write_archive(const std::string& path, const std::map<std::string, std::string>& arrays) {
    std::string zip, central;
    std::uint32_t count = 0;
    for (const auto& [key, data] : arrays) {
        const std::string name = key + ".npy";
        if (data.size() > 0xFFFFFFF0u || zip.size() > 0xFFFFFFF0u)
            fail<ValueError>("save_npz: {}: array '{}' makes the archive larger than 4 GiB", path, key);
        const std::uint32_t crc = crc32(data.data(), data.size());
        const std::uint32_t offset = static_cast<std::uint32_t>(zip.size());
        // local file header: stored (method 0), date 1980-01-01
        put32(zip, 0x04034b50); put16(zip, 20); put16(zip, 0); put16(zip, 0); put16(zip, 0); put16(zip, 0x21);
        put32(zip, crc); put32(zip, data.size()); put32(zip, data.size());
        put16(zip, name.size()); put16(zip, 0);
        zip += name;
        zip += data;
        // central directory entry
        put32(central, 0x02014b50); put16(central, 20); put16(central, 20); put16(central, 0); put16(central, 0);
        put16(central, 0); put16(central, 0x21); put32(central, crc); put32(central, data.size());
        put32(central, data.size()); put16(central, name.size()); put16(central, 0); put16(central, 0);
        put16(central, 0); put16(central, 0); put32(central, 0); put32(central, offset);
        central += name;
        ++count;
    }
    if (count > 0xFFFE) fail<ValueError>("save_npz: {}: too many arrays ({})", path, count);
    const std::uint32_t cd_offset = static_cast<std::uint32_t>(zip.size());
    zip += central;
    put32(zip, 0x06054b50); put16(zip, 0); put16(zip, 0); put16(zip, count); put16(zip, count);
    put32(zip, central.size()); put32(zip, cd_offset); put16(zip, 0);

    // temporary file + fsync + rename + fsync of the directory. The
    // temporary's name is unique to this save (mkstemp), so saves to one
    // path from several threads or processes never write into each other's
    // file: each renames a complete file, and the last rename wins.
    std::string tmp_name = path + ".tmp.XXXXXX";
    const int fd = ::mkostemp(tmp_name.data(), O_CLOEXEC);
    const std::string tmp = tmp_name;
    if (fd < 0) io_error("save_npz", tmp, "cannot create");
    ::fchmod(fd, 0644);  // mkstemp's 0600 would hide a checkpoint from the rest of a team
    std::size_t done = 0;
    while (done < zip.size()) {
        const ssize_t n = ::write(fd, zip.data() + done, zip.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            ::unlink(tmp.c_str());
            io_error("save_npz", tmp, "write failed");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        io_error("save_npz", tmp, "flush failed");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        io_error("save_npz", path, "rename failed");
    }
    const auto slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);  // makes the rename itself durable
        ::close(dfd);
    }
}
}  // namespace

// -------------------------------------------------------------------- read
NpzContents parse_npz_contents(const std::string& b, const std::string& what) {
    Reader r{b, what};
    if (b.size() < 22) fail<ValueError>("load_npz: {}: too short to be an .npz file ({} bytes)", what, b.size());
    // The end-of-central-directory record is in the last 22 + 65535 bytes.
    std::size_t eocd = std::string::npos;
    const std::size_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (std::size_t i = b.size() - 22 + 1; i-- > lowest;)
        if (r.get(i, 4) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == std::string::npos) fail<ValueError>("load_npz: {}: not an .npz (zip) file", what);
    const std::size_t entries = r.get(eocd + 10, 2);
    std::size_t p = r.get(eocd + 16, 4);
    if (entries == 0xFFFF || p == 0xFFFFFFFF)
        fail<ValueError>("load_npz: {}: zip64 archives with that many entries are not supported", what);

    NpzContents out;
    for (std::size_t e = 0; e < entries; ++e) {
        if (r.get(p, 4) != 0x02014b50) fail<ValueError>("load_npz: {}: corrupt central directory", what);
        const std::uint64_t method = r.get(p + 10, 2);
        const std::uint32_t crc = static_cast<std::uint32_t>(r.get(p + 16, 4));
        std::uint64_t csize = r.get(p + 20, 4), usize = r.get(p + 24, 4);
        const std::size_t nlen = r.get(p + 28, 2), xlen = r.get(p + 30, 2), clen = r.get(p + 32, 2);
        std::uint64_t local = r.get(p + 42, 4);
        if (p + 46 + nlen > b.size()) fail<ValueError>("load_npz: {}: truncated central directory", what);
        std::string name = b.substr(p + 46, nlen);
        const bool is_npy = name.size() >= 4 && name.compare(name.size() - 4, 4, ".npy") == 0;
        if (is_npy) name.resize(name.size() - 4);  // the array's key, as NumPy names it
        // zip64 extra field: the real sizes/offset where the 32-bit ones say 0xFFFFFFFF
        for (std::size_t x = p + 46 + nlen; x + 4 <= p + 46 + nlen + xlen;) {
            const std::uint64_t id = r.get(x, 2), sz = r.get(x + 2, 2);
            std::size_t f = x + 4;
            if (id == 1) {
                if (usize == 0xFFFFFFFF) { usize = r.get(f, 8); f += 8; }
                if (csize == 0xFFFFFFFF) { csize = r.get(f, 8); f += 8; }
                if (local == 0xFFFFFFFF) { local = r.get(f, 8); }
            }
            x += 4 + sz;
        }
        if (method != 0)
            fail<ValueError>("load_npz: {}: entry '{}' is compressed; save with np.savez, not np.savez_compressed",
                             what, name);
        if (csize != usize) fail<ValueError>("load_npz: {}: entry '{}' has inconsistent sizes", what, name);
        if (r.get(local, 4) != 0x04034b50) fail<ValueError>("load_npz: {}: corrupt entry '{}'", what, name);
        const std::size_t data = local + 30 + r.get(local + 26, 2) + r.get(local + 28, 2);
        if (data > b.size() || b.size() - data < csize)
            fail<ValueError>("load_npz: {}: entry '{}' is truncated", what, name);
        if (crc32(b.data() + data, csize) != crc)
            fail<ValueError>("load_npz: {}: checksum mismatch in entry '{}' (the file is damaged)", what, name);
        if (!is_npy) fail<ValueError>("load_npz: {}: entry '{}' is not a .npy array", what, name);
        if (out.reals.count(name) || out.ids.count(name))
            fail<ValueError>("load_npz: {}: array '{}' appears twice", what, name);
        NpyArray a = parse_npy(b, data, csize, what + ": '" + name + "'");
        if (a.integer) out.ids[name] = std::move(a.ids);
        else out.reals[name] = std::move(a.reals);
        p += 46 + nlen + xlen + clen;
    }
    return out;
}

NamedArrays parse_npz(const std::string& bytes, const std::string& what) {
    NpzContents c = parse_npz_contents(bytes, what);
    for (auto& [name, ids] : c.ids) {
        Array a = Array::from_shape(ids.shape());
        std::transform(ids.begin(), ids.end(), a.begin(), [](Index v) { return static_cast<real>(v); });
        c.reals[name] = std::move(a);
    }
    return std::move(c.reals);
}

namespace {
std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) io_error("load_npz", path, "cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

NamedArrays load_npz(const std::string& path) { return parse_npz(read_file(path), path); }
NpzContents read_npz(const std::string& path) { return parse_npz_contents(read_file(path), path); }

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
