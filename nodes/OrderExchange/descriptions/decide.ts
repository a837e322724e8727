import type { INodeProperties } from 'n8n-workflow';

const onDecide = { operation: ['match'], matchMode: ['decision'] };

const accepted =
	'"Candidate N" (or just N) for the N-th candidate Match listed, a candidate’s address ID, or "Imported address (create it)" (or "imported") to keep the imported address as a new one. Match’s addressMatch.<role>.choices lists the exact texts.';

export const decideProperties: INodeProperties[] = [
	{
		displayName: 'Give each order from Match’s Review output and the person’s answer, e.g. from a Wait node “On Form Submitted”. The order goes to Matched with the chosen address; an order whose waiting address got no answer stays on Review. An address that waits for no decision stays as Match left it.',
		name: 'decideNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: onDecide },
	},
	{
		displayName: 'Customer Address Decision',
		name: 'customerDecision',
		type: 'string',
		default: '',
		placeholder: "e.g. {{ $('Wait for the decision').first().json['Customer address'] }}",
		description: `What a person chose for the customer address: ${accepted}`,
		displayOptions: { show: onDecide },
	},
	{
		displayName: 'Delivery Address Decision',
		name: 'deliveryDecision',
		type: 'string',
		default: '',
		placeholder: "e.g. {{ $('Wait for the decision').first().json['Delivery address'] }}",
		description: `What a person chose for the delivery address, if it waits for a decision too: ${accepted}`,
		displayOptions: { show: onDecide },
	},
];
