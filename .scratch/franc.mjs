import { franc, francAll } from 'franc';
const s = process.argv[2];
console.log(franc(s), francAll(s).slice(0,5), franc(s, {only: ['arb','pes','urd','eng','deu']}));
