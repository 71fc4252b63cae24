"""An independent TFRecord checker: its own CRC32C and protobuf decoding, no TensorFlow.

Usage: check_tfrecord.py FILE INDEX_FILE D1 D2 SAMPLES ELEMENT_BYTES

Every record's length and payload CRCs must verify; each payload must be a tf.train.Example
whose "image" feature holds D1*D2 bytes and whose "size" feature holds D1*D2*ELEMENT_BYTES;
images must differ between records; the index file must list every record as
"<offset> <length>" with the length covering the framing.
"""
import struct
import sys


def crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


TABLE = crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ TABLE[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, pos):
    value, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def fields(buf):
    """(field number, wire type, value) of a message; value is bytes for wire type 2."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 2:
            length, pos = varint(buf, pos)
            value = buf[pos:pos + length]
            assert len(value) == length, "length-delimited field runs past its message"
            pos += length
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        yield number, wire, value


def decode_example(payload):
    """{feature name: ("bytes", [values]) or ("int64", [values])}."""
    features = {}
    for number, _, features_msg in fields(payload):
        assert number == 1, f"Example field {number}"
        for entry_number, _, entry in fields(features_msg):
            assert entry_number == 1, f"Features field {entry_number}"
            key, value = None, None
            for n, _, v in fields(entry):
                if n == 1:
                    key = bytes(v).decode()
                elif n == 2:
                    value = v
            for kind, _, lst in fields(value):
                if kind == 1:
                    features[key] = ("bytes", [bytes(v) for n, _, v in fields(lst) if n == 1])
                elif kind == 3:
                    values = []
                    for n, wire, v in fields(lst):
                        if wire == 2:  # packed
                            pos = 0
                            while pos < len(v):
                                x, pos = varint(v, pos)
                                values.append(x)
                        else:
                            values.append(v)
                    features[key] = ("int64", values)
                else:
                    raise AssertionError(f"Feature kind {kind}")
    return features


def main():
    path, index_path, d1, d2, samples, element_bytes = sys.argv[1:7]
    d1, d2, samples, element_bytes = int(d1), int(d2), int(samples), int(element_bytes)
    with open(path, "rb") as f:
        data = f.read()
    records, images, pos = [], set(), 0
    while pos < len(data):
        length, length_crc = struct.unpack_from("<QI", data, pos)
        assert masked(crc32c(data[pos:pos + 8])) == length_crc, f"{path}: length CRC at {pos}"
        payload = data[pos + 12:pos + 12 + length]
        assert len(payload) == length, f"{path}: record at {pos} truncated"
        (payload_crc,) = struct.unpack_from("<I", data, pos + 12 + length)
        assert masked(crc32c(payload)) == payload_crc, f"{path}: payload CRC at {pos}"
        example = decode_example(payload)
        assert set(example) == {"image", "size"}, f"{path}: features {sorted(example)}"
        kind, image = example["image"]
        assert kind == "bytes" and len(image) == 1 and len(image[0]) == d1 * d2, \
            f"{path}: image at {pos}"
        kind, size = example["size"]
        assert kind == "int64" and size == [d1 * d2 * element_bytes], f"{path}: size {size}"
        images.add(image[0])
        records.append((pos, 16 + length))
        pos += 16 + length
    assert len(records) == samples, f"{path}: {len(records)} records, expected {samples}"
    assert len(images) == samples, f"{path}: records repeat an image"
    with open(index_path) as f:
        lines = f.read().splitlines()
    listed = [tuple(int(v) for v in line.split(" ")) for line in lines]
    assert listed == records, f"{index_path}: {listed} != {records}"
    print(f"ok tfrecord {path} ({samples} records, index {index_path})")


if __name__ == "__main__":
    main()
