import { encodeDataset, fitFeatures, inferTarget, parseCsvText, TabularError, usableRows } from '@shardprop/tabular';

const csv = 'size,color,label\n1.5,red,yes\n2.5,blue,no\n0.5,red,yes\n3,green,no\n';
const table = parseCsvText(csv, 'fruit.csv'); // size: numeric; color, label: categorical
const { rows } = usableRows(table, ['size', 'color'], ['label'], 'error');
const target = inferTarget(table, ['label'], rows); // binary: no, yes
const encoding = { features: fitFeatures(table, ['size', 'color'], rows), target };
const data = encodeDataset(table, encoding, rows, 'binaryCrossentropy', 1, { missing: 'error', unknown: 'error' });
console.log(data.rows, data.features, Array.from(data.y)); // 4 rows, 4 inputs (size, color=blue/green/red)

try {
  parseCsvText('a,b\n1,2\n3,x\n', 'bad.csv');
} catch (error) {
  if (error instanceof TabularError) console.log(error.kind, error.message);
}
