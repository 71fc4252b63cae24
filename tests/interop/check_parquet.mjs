// Checks the parquet files listed in <dir>/manifest.json with hyparquet, an independent
// Parquet reader: the schema (column names, physical and logical types, LIST structure),
// rows and row groups as configured, every value decoded with the right type, size and range,
// fixed-width values found byte for byte in the file, and the sample extents our locator
// reported equal to the row groups' spans in the footer.
//
// Usage: node check_parquet.mjs <dir> <hyparquet package directory>
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [directory, packageDirectory] = process.argv.slice(2)
const hyparquet = await import(pathToFileURL(path.join(packageDirectory, 'src', 'index.js')).href)

// What each configured dtype must look like in the file (the reference's Arrow types as
// pyarrow stores them).
const expectedTypes = {
  float32: { type: 'FLOAT' },
  float64: { type: 'DOUBLE' },
  float16: { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, logical: 'FLOAT16' },
  int8: { type: 'INT32', bits: 8, signed: true, range: [-128, 127] },
  uint8: { type: 'INT32', bits: 8, signed: false, range: [0, 255] },
  int16: { type: 'INT32', bits: 16, signed: true, range: [-32768, 32767] },
  uint16: { type: 'INT32', bits: 16, signed: false, range: [0, 65535] },
  int32: { type: 'INT32', range: [-2147483648, 2147483647] },
  uint32: { type: 'INT32', bits: 32, signed: false, range: [0, 4294967295] },
  int64: { type: 'INT64', big: true },
  uint64: { type: 'INT64', bits: 64, signed: false, big: true },
  bool: { type: 'BOOLEAN' },
  binary: { type: 'BYTE_ARRAY' },
  list: { type: 'FLOAT', alwaysList: true },
}

function fail(file, message) {
  throw new Error(`${file}: ${message}`)
}

// The configured columns with the reference generator's defaults filled in.
function configuredColumns(entry) {
  if (entry.columns === null) {
    return [{ name: 'data', dtype: 'uint8', size: entry.d1 * entry.d2, list: true }]
  }
  return entry.columns.map(spec => {
    const column = typeof spec === 'string' ? { name: spec } : { ...spec }
    column.name ??= 'data'
    column.dtype ??= 'float32'
    column.size ??= 1
    const scalarOnly = column.dtype === 'bool' || column.dtype === 'binary'
    column.list = expectedTypes[column.dtype].alwaysList || (!scalarOnly && column.size > 1)
    return column
  })
}

function checkLeaf(file, column, element) {
  const want = expectedTypes[column.dtype]
  if (element.type !== want.type) fail(file, `${column.name}: type ${element.type}, want ${want.type}`)
  if (element.repetition_type !== 'REQUIRED') fail(file, `${column.name}: leaf is ${element.repetition_type}`)
  if (want.type_length && element.type_length !== want.type_length) {
    fail(file, `${column.name}: type_length ${element.type_length}`)
  }
  const logical = element.logical_type
  if (want.logical && logical?.type !== want.logical) fail(file, `${column.name}: logical ${JSON.stringify(logical)}`)
  if (want.bits && (logical?.type !== 'INTEGER' || logical.bitWidth !== want.bits || logical.isSigned !== want.signed)) {
    fail(file, `${column.name}: integer annotation ${JSON.stringify(logical)}`)
  }
  if (!want.bits && !want.logical && logical) fail(file, `${column.name}: unexpected logical type ${JSON.stringify(logical)}`)
}

function checkSchema(file, metadata, columns) {
  const elements = metadata.schema
  if (elements[0].num_children !== columns.length) fail(file, `root has ${elements[0].num_children} children`)
  let at = 1
  for (const column of columns) {
    const top = elements[at]
    if (top.name !== column.name) fail(file, `column ${at}: name ${top.name}, want ${column.name}`)
    if (column.list) {
      const [list, element] = [elements[at + 1], elements[at + 2]]
      if (top.repetition_type !== 'OPTIONAL' || top.converted_type !== 'LIST' || top.logical_type?.type !== 'LIST') {
        fail(file, `${column.name}: not an annotated LIST group`)
      }
      if (list.name !== 'list' || list.repetition_type !== 'REPEATED' || element.name !== 'element') {
        fail(file, `${column.name}: not the three-level list structure`)
      }
      checkLeaf(file, column, element)
      at += 3
    } else {
      checkLeaf(file, column, top)
      at += 1
    }
  }
  if (at !== elements.length) fail(file, `${elements.length - at} unexpected schema elements`)
}

function checkValue(file, column, value, row) {
  const want = expectedTypes[column.dtype]
  const where = `${column.name}[${row}]`
  if (column.dtype === 'bool') {
    if (typeof value !== 'boolean') fail(file, `${where} is ${typeof value}, not boolean`)
  } else if (column.dtype === 'binary') {
    if (!(value instanceof Uint8Array) || value.length !== column.size) fail(file, `${where} is not ${column.size} bytes`)
  } else if (want.big) {
    if (typeof value !== 'bigint' || (want.signed === false && value < 0n)) fail(file, `${where} = ${value}`)
  } else if (typeof value !== 'number') {
    fail(file, `${where} is ${typeof value}`)
  } else if (want.range && !(Number.isInteger(value) && value >= want.range[0] && value <= want.range[1])) {
    fail(file, `${where} = ${value} is outside ${want.range}`)
  }
}

function checkRows(file, rows, columns) {
  for (const column of columns) {
    const seen = new Set()
    rows.forEach((record, row) => {
      const value = record[column.name]
      if (column.list) {
        if (!Array.isArray(value) || value.length !== column.size) fail(file, `${column.name}[${row}] is not a list of ${column.size}`)
        value.forEach(item => checkValue(file, column, item, row))
        seen.add(String(value[0]))
      } else {
        checkValue(file, column, value, row)
        seen.add(String(value))
      }
    })
    if (rows.length >= 8 && column.dtype !== 'bool' && seen.size < 2) fail(file, `${column.name} holds one value in every row`)
  }
}

// Little-endian bytes of a decoded value, for the fixed-width types whose stored bytes are the
// value itself; null when the value cannot be turned back into its exact bytes (NaN payloads).
function storedBytes(dtype, value) {
  const view = new DataView(new ArrayBuffer(8))
  switch (dtype) {
  case 'float32': if (Number.isNaN(value)) return null; view.setFloat32(0, value, true); return new Uint8Array(view.buffer, 0, 4)
  case 'float64': if (Number.isNaN(value)) return null; view.setFloat64(0, value, true); return new Uint8Array(view.buffer, 0, 8)
  case 'int32': view.setInt32(0, value, true); return new Uint8Array(view.buffer, 0, 4)
  case 'uint32': view.setUint32(0, value, true); return new Uint8Array(view.buffer, 0, 4)
  case 'int64': view.setBigInt64(0, value, true); return new Uint8Array(view.buffer, 0, 8)
  case 'uint64': view.setBigUint64(0, value, true); return new Uint8Array(view.buffer, 0, 8)
  case 'int8': case 'uint8': return new Uint8Array([Number(value) & 0xff]) // dictionary index
  default: return null
  }
}

// The first values of each fixed-width column (of the first rows, or of the first row's list),
// concatenated, must occur in the file: the reader decoded the bytes the writer stored, in
// order.
function checkStoredBytes(file, bytes, rows, columns) {
  let checked = 0
  for (const column of columns) {
    const values = column.list ? (rows[0]?.[column.name] ?? []).slice(0, 8)
      : rows.slice(0, 8).map(record => record[column.name])
    const parts = values.map(value => storedBytes(column.dtype, value))
    if (parts.length === 0 || parts.some(part => part === null)) continue
    const joined = Buffer.concat(parts.map(part => Buffer.from(part)))
    if (bytes.indexOf(joined) < 0) fail(file, `${column.name}: the first rows' bytes are not in the file`)
    checked++
  }
  return checked
}

function checkRowGroups(file, metadata, entry) {
  const groupRows = entry.row_group_size
  const groups = Math.ceil(entry.samples / groupRows)
  if (metadata.num_rows !== BigInt(entry.samples)) fail(file, `num_rows ${metadata.num_rows}`)
  if (metadata.row_groups.length !== groups) fail(file, `${metadata.row_groups.length} row groups, want ${groups}`)
  if (!metadata.created_by?.startsWith('mlps')) fail(file, `created_by ${metadata.created_by}`)
  let row = 0
  metadata.row_groups.forEach((group, g) => {
    const want = Math.min(groupRows, entry.samples - g * groupRows)
    if (Number(group.num_rows) !== want) fail(file, `row group ${g} has ${group.num_rows} rows, want ${want}`)
    let start = Infinity, end = 0
    for (const chunk of group.columns) {
      const meta = chunk.meta_data
      const data = Number(meta.data_page_offset)
      const dictionary = meta.dictionary_page_offset === undefined ? data : Number(meta.dictionary_page_offset)
      const first = Math.min(data, dictionary)
      start = Math.min(start, first)
      end = Math.max(end, first + Number(meta.total_compressed_size))
    }
    for (let r = 0; r < want; r++, row++) {
      const [offset, length] = entry.extents[row]
      if (offset !== start || length !== end - start) {
        fail(file, `row ${row}: extent [${offset}, +${length}) is not row group ${g}'s [${start}, ${end})`)
      }
    }
  })
}

async function checkFile(entry) {
  const file = path.join(directory, entry.path)
  const bytes = fs.readFileSync(file)
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  const metadata = hyparquet.parquetMetadata(buffer)
  const columns = configuredColumns(entry)
  checkSchema(file, metadata, columns)
  checkRowGroups(file, metadata, entry)
  const rows = await hyparquet.parquetReadObjects({ file: buffer, utf8: false })
  if (rows.length !== entry.samples) fail(file, `read ${rows.length} rows, want ${entry.samples}`)
  checkRows(file, rows, columns)
  const checked = checkStoredBytes(file, bytes, rows, columns)
  console.log(`ok ${entry.path}: ${columns.length} columns, ${rows.length} rows in ` +
    `${metadata.row_groups.length} row groups, ${bytes.length} bytes, ${checked} columns' bytes found`)
}

const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf8'))
const files = manifest.files.filter(entry => entry.format === 'parquet')
if (files.length === 0) throw new Error('no parquet files in the manifest')
for (const entry of files) await checkFile(entry)
